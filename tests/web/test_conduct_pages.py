"""The conduct pages without JavaScript (plain POSTs) on SQLite and PostgreSQL: screening a candidate, a visit's forms,
a protocol form with ranges as attributes and the service's refusal shown next to the field, nothing lost; scoping."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

from dermtrial.web.conduct_common import DYNAMIC_KEYS
from dermtrial.web.i18n import catalog
from tests.web.conftest import Web, form_token, sign_in


def _screening_visit(web: Web) -> int:
    visits = web.client.get(f"/api/v1/subjects/{web.gz_subject}/visits", headers=web.api("nurse.li")).json()["items"]
    return int(next(v["id"] for v in visits if v["visit_code"] == "screening"))


def test_every_key_built_from_a_value_is_in_both_catalogs() -> None:
    for language in ("en", "zh-Hans"):
        missing = [p + v for p, values in DYNAMIC_KEYS.items() for v in values if p + v not in catalog(language)]
        assert missing == [], language


def test_a_candidate_is_screened_with_a_plain_post(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    page = browser.get("/screening")
    assert page.status_code == 200
    assert '<label for="consent_version">' in page.text
    data = {"csrf_token": form_token(page.text), "site": "GZ01", "consent_version": "1.0",
            "consent_signed_local": "2019-07-12T09:00"}  # fmt: skip
    created = browser.post("/screening", data=data, follow_redirects=False)
    assert created.status_code == 303
    checklist = browser.get(created.headers["location"])
    assert "Eligibility checklist" in checklist.text
    assert "No evaluation yet" in checklist.text
    refused = browser.post("/screening", data=data | {"consent_signed_local": "12/07/2019"})
    assert refused.status_code == 422
    assert 'data-error-field="consent_signed_local"' in refused.text
    assert 'value="1.0"' in refused.text  # what was typed is kept


def test_a_form_shows_ranges_and_the_services_refusal_next_to_the_field(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    visit = _screening_visit(web)
    listing = browser.get(f"/subjects/{web.gz_subject}/visits/{visit}")
    assert listing.status_code == 200
    assert f'href="/subjects/{web.gz_subject}/visits/{visit}/forms/VS"' in listing.text
    url = f"/subjects/{web.gz_subject}/visits/{visit}/forms/DM"
    page = browser.get(url)
    assert re.search(r'<input id="f-HEIGHT" name="HEIGHT" type="number"[^>]*min="100"[^>]*max="230"', page.text)
    assert '<label for="f-HEIGHT">' in page.text
    assert "data-show-when=" in page.text  # CHILDBEAR is asked of women only
    data = {"csrf_token": form_token(page.text), "HEIGHT": "300", "SEX": "F", "ETHNIC": "Han", "action": "draft"}
    refused = browser.post(url, data=data)
    assert refused.status_code == 422
    assert 'data-field-error="HEIGHT"' in refused.text
    assert "outside 100.0–230.0 cm" in refused.text
    assert 'value="Han"' in refused.text
    assert '<option value="F" selected>' in refused.text
    saved = browser.post(url, data=data | {"HEIGHT": "165.5"}, follow_redirects=False)
    assert saved.status_code == 303
    again = browser.get(saved.headers["location"])
    assert "Saved." in again.text
    assert 'value="165.5"' in again.text


def test_scoping_and_csrf_on_the_pages(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.wu")  # SH02
    visit = _screening_visit(web)
    assert browser.get(f"/subjects/{web.gz_subject}/visits/{visit}").status_code == 404
    assert browser.get(f"/screening/{web.gz_subject}").status_code == 404
    page = browser.get("/screening")
    token = form_token(page.text)
    url = f"/subjects/{web.gz_subject}/visits/{visit}/forms/VS"
    assert browser.post(url, data={"csrf_token": token, "PULSE": "70"}).status_code == 404
    assert browser.post(url, data={"csrf_token": "forged", "PULSE": "70"}).status_code == 403


def test_a_monitor_may_read_a_form_but_not_save_it(web: Web, browser: TestClient) -> None:
    sign_in(browser, "mon")
    visit = _screening_visit(web)
    url = f"/subjects/{web.gz_subject}/visits/{visit}/forms/WT"
    page = browser.get(url)
    assert page.status_code == 200
    refused = browser.post(url, data={"csrf_token": form_token(page.text), "WEIGHT": "60"})
    assert refused.status_code == 403
    assert 'data-error-code="forbidden"' in refused.text


def test_every_form_of_the_screening_visit_renders_with_a_label_on_every_input(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    visit = _screening_visit(web)
    codes = [
        f["form_code"]
        for f in web.client.get(
            f"/api/v1/subjects/{web.gz_subject}/visits/{visit}/forms", headers=web.api("nurse.li")
        ).json()["forms"]
    ]
    assert "LB" in codes  # a repeating group
    for code in codes:
        page = browser.get(f"/subjects/{web.gz_subject}/visits/{visit}/forms/{code}")
        assert page.status_code == 200, code
        ids = re.findall(r'<(?:input|select|textarea) id="([^"]+)"', page.text)
        labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', page.text))
        assert [i for i in ids if i not in labelled] == [], code


def test_the_infusion_record_refuses_by_field_without_javascript(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    visit = _screening_visit(web)
    url = f"/subjects/{web.gz_subject}/visits/{visit}/infusion"
    page = browser.get(url)
    assert page.status_code == 200
    assert 'id="weight_kg" name="weight_kg" type="number"' in page.text
    fields = {
        "csrf_token": form_token(page.text),
        "weight_kg": "abc",
        "dose_given": "1",
        "started_local": "2019-07-20T09:00",
        "ended_local": "2019-07-20T10:00",
        "unit_id": "B",
        "lot": "L",
        "donor_code": "D",
        "cell_count": "1e8",
        "viability_percent": "90",
        "volume_ml": "100",
        "storage_temperature_c": "4",
        "prepared_at": "2019-07-20T07:00",
        "expires_at": "2019-07-20T15:00",
    }
    refused = browser.post(url, data=fields)
    assert refused.status_code == 422
    assert 'data-error-field="weight_kg"' in refused.text
    assert 'value="L"' in refused.text  # nothing typed is lost
    not_here = browser.post(url, data=fields | {"weight_kg": "62.5"})
    assert not_here.status_code == 422
    assert 'data-error-field="visit_code"' in not_here.text  # the product is given at day 1, weeks 4 and 8


def test_ointment_weighing_without_javascript(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    visit = _screening_visit(web)
    url = f"/subjects/{web.gz_subject}/visits/{visit}/ointment"
    page = browser.get(url)
    token = form_token(page.text)
    tube = {
        "csrf_token": token,
        "tube_id": "P-1",
        "lot": "C1",
        "expiry": "2020-01-31",
        "weight_g": "abc",
        "dispensed_local": "2019-07-20",
    }
    refused = browser.post(f"{url}/dispense", data=tube)
    assert refused.status_code == 422
    assert 'data-error-field="weight_g"' in refused.text
    assert 'value="C1"' in refused.text
    assert browser.post(f"{url}/dispense", data=tube | {"weight_g": "120"}).status_code == 200
    back = browser.post(
        f"{url}/return",
        data={"csrf_token": token, "return_tube_id": "P-1", "return_weight_g": "50", "returned_local": "2019-07-27"},
    )
    assert back.status_code == 200
    assert "Tube P-1: 70.0 g/week on average" in back.text  # (120 - 50) g over 7 days
