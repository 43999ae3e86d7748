"""The live score of BSA, sPGA, DLQI and itch on SQLite and PostgreSQL: ``POST /api/v1/scores/{instrument}`` scores
the items entered so far with dermtrial.instruments (hand-computed values below), refuses a value naming the item,
answers "not computable" with the reason while items are missing, and gives what saving the form stores; the form
pages render the instrument's items with their bounds instead of sending the user to the API."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from dermtrial.services.overview import get_form, subject_visits
from tests.web.conftest import Web, form_token, sign_in

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

#: DLQI: nine items answered 1 and item 7 "no" with its follow-up 2 → 9 × 1 + 2 = 11.
DLQI_ALL = {**{f"q{n}": 1 for n in (1, 2, 3, 4, 5, 6, 8, 9, 10)}, "q7.prevented": "no", "q7.problem": 2}


def _score(web: Web, instrument: str, item_values: dict[str, Any]) -> Any:
    return web.client.post(
        f"/api/v1/scores/{instrument}", json={"item_values": item_values}, headers=web.api("nurse.li")
    )


@pytest.mark.parametrize(
    ("instrument", "items", "value"),
    [
        ("spga", {"spga": 3}, 3),
        ("bsa", {"percent": "12.5"}, 12.5),  # as the form sends it, typed
        ("bsa", {"palms": 8, "palm_includes_fingers": True}, 8),  # one palm counts 1 %
        ("itch", {"nrs": 7}, 7),
        ("dlqi", DLQI_ALL, 11),
        ("dlqi", {**DLQI_ALL, "q3": "not_relevant"}, 10),  # "not relevant" scores 0
        ("dlqi", {**DLQI_ALL, "q1": None}, 10),  # one unanswered item counts 0 (the DLQI rule)
    ],
)
def test_the_live_score_is_the_instruments(web: Web, instrument: str, items: dict[str, Any], value: float) -> None:
    answer = _score(web, instrument, items)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["instrument"], body["value"], body["complete"], body["not_computable"]) == (
        instrument, value, True, None,
    )  # fmt: skip
    assert body["version"] == body["result"]["version"]


def test_missing_items_are_not_an_error_but_a_reason(web: Web) -> None:
    nothing = _score(web, "spga", {}).json()
    assert (nothing["value"], nothing["complete"], nothing["missing"]) == (None, False, ["spga"])
    two_missing = _score(web, "dlqi", {**DLQI_ALL, "q1": None, "q2": None}).json()
    assert two_missing["value"] is None
    assert "two or more items are unanswered" in two_missing["not_computable"]
    assert two_missing["missing"] == ["q1", "q2"]


@pytest.mark.parametrize(
    ("instrument", "items", "field"),
    [
        ("spga", {"spga": 5}, "item_values.spga"),  # one above the scale's top 4
        ("itch", {"nrs": 11}, "item_values.nrs"),
        ("bsa", {"percent": 10, "palms": 2}, "item_values"),  # exactly one of the two
        ("dlqi", {"q11": 1}, "item_values.q11"),
    ],
)
def test_a_refused_value_names_the_item(web: Web, instrument: str, items: dict[str, Any], field: str) -> None:
    answer = _score(web, instrument, items)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == field


def test_an_instrument_without_a_live_score_and_no_sign_in(web: Web) -> None:
    unknown = _score(web, "zung-sas", {"SAS01": 1})
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (404, "instrument")
    assert web.client.post("/api/v1/scores/spga", json={"item_values": {"spga": 1}}).status_code == 401


def test_the_form_page_renders_the_items_and_stores_what_the_live_score_said(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    visit = next(v for v in subject_visits(web.study.db, web.people["nurse.li"], subject_id=web.gz_subject)
                 if v.visit_code == "screening")  # fmt: skip
    url = f"/subjects/{web.gz_subject}/visits/{visit.visit_id}/forms/DLQI"
    page = browser.get(url).text
    assert 'data-score-instrument="/api/v1/scores/dlqi"' in page
    assert "through the API" not in page
    assert re.search(r'<label for="f-q7-problem">DLQI item 7 \(work or study\), follow-up when no</label>', page)
    assert '<option value="not_relevant" >not relevant</option>' in page
    spga = browser.get(f"/subjects/{web.gz_subject}/visits/{visit.visit_id}/forms/SPGA").text
    assert re.search(r'<input id="f-spga" name="spga" type="number"[^>]*step="1"[^>]*min="0" max="4"', spga)
    fields = {code: str(value) for code, value in DLQI_ALL.items()}
    saved = browser.post(
        url, data=fields | {"csrf_token": form_token(page), "action": "complete"}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    form_id = next(
        f.form_id
        for v in subject_visits(web.study.db, web.people["nurse.li"], subject_id=web.gz_subject)
        if v.visit_code == "screening"
        for f in v.forms
        if f.form_code == "DLQI"
    )
    stored = get_form(web.study.db, web.people["nurse.li"], subject_id=web.gz_subject, form_id=form_id)
    assert stored.derived is not None
    assert stored.derived["total"] == _score(web, "dlqi", DLQI_ALL).json()["value"] == 11
    shown = browser.get(url).text
    assert re.search(r'data-testid="score-value">11</output>', shown)
