"""The screening page's "Fill from the screening forms" button (GET ?fill=forms) on SQLite and PostgreSQL: the record
textarea is prefilled from the screening visit's forms and labs, with a table of each input's source; scoping."""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

from dermtrial.services.forms import save_form
from dermtrial.services.safety_labs import record_lab_result
from dermtrial.web.i18n import catalog
from tests.conftest import NOW
from tests.web.conftest import Web, sign_in

KEYS = ("conduct.fill.button", "conduct.fill.hint", "conduct.fill.sources", "conduct.fill.input", "conduct.fill.source")


def _record_on(page: str) -> dict[str, Any]:
    found = re.search(r'<textarea id="record" name="record"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return data


def _enter_screening_data(web: Web) -> None:
    nurse = web.people["nurse.li"]
    visits = web.client.get(f"/api/v1/subjects/{web.gz_subject}/visits", headers=web.api("nurse.li")).json()["items"]
    screening = int(next(v["id"] for v in visits if v["visit_code"] == "screening"))
    save_form(
        web.study.db, nurse, subject_id=web.gz_subject, form_code="BSA", item_values={"percent": 12}, now=NOW,
        visit_id=screening, status="complete",
    )  # fmt: skip
    record_lab_result(
        web.study.db, nurse, subject_id=web.gz_subject, test_code="CA", value=Decimal("2.31"), unit="mmol/L",
        collected_local="2019-07-12T08:00", now=NOW, visit_id=screening,
    )  # fmt: skip


def test_the_keys_are_in_both_catalogs() -> None:
    for language in ("en", "zh-Hans"):
        assert [key for key in KEYS if key not in catalog(language)] == [], language
    assert catalog("zh-Hans")["conduct.fill.button"] != catalog("en")["conduct.fill.button"]


def test_the_button_prefills_the_record_from_the_forms(web: Web, browser: TestClient) -> None:
    _enter_screening_data(web)
    sign_in(browser, "nurse.li")
    page = browser.get(f"/screening/{web.gz_subject}")
    assert 'data-testid="fill-from-forms"' in page.text
    assert 'name="fill" value="forms"' in page.text
    assert 'data-testid="record-sources"' not in page.text
    assert "judgements" in _record_on(page.text)  # without the button: the protocol's template, as before
    filled = browser.get(f"/screening/{web.gz_subject}", params={"fill": "forms"})
    assert filled.status_code == 200
    record = _record_on(filled.text)
    assert record["assessments"] == {"bsa_percent": 12}
    assert record["labs"] == [{"test": "CA", "value": 2.31, "unit": "mmol/L"}]  # no site range stored: none given
    assert record["consent_date"] == "2019-07-10"
    assert "pasi" not in record["assessments"]  # not entered: left out, never invented
    assert 'data-testid="record-sources"' in filled.text
    row = re.search(r'<tr data-input="calcium"><th scope="row">calcium</th><td>([^<]*)</td>', filled.text)
    assert row is not None
    assert row.group(1).startswith("lab result ")
    assert '<tr data-input="pasi"><th scope="row">pasi</th><td>not entered</td>' in filled.text


def test_another_sites_subject_is_not_found(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.wu")
    assert browser.get(f"/screening/{web.gz_subject}", params={"fill": "forms"}).status_code == 404


def test_the_api_gives_the_same_record_with_its_sources(web: Web, browser: TestClient) -> None:
    url = f"/api/v1/subjects/{web.gz_subject}/eligibility-record"
    answer = web.client.get(url, headers=web.api("nurse.li"))
    assert answer.status_code == 200
    body = answer.json()
    sign_in(browser, "nurse.li")
    assert body["record"] == _record_on(browser.get(f"/screening/{web.gz_subject}", params={"fill": "forms"}).text)
    assert body["sources"]["pasi"] == "not entered"
    assert web.client.get(url, headers=web.api("nurse.wu")).status_code == 404
