"""Safety and review pages on SQLite and PostgreSQL: the AE form and list, queries raised from a form's review page,
answered and closed, SDV, the audit history, signing a visit, locks, and who may open the report page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from dermtrial.services.forms import save_form
from dermtrial.web import create_app
from tests.conftest import NOW, PASSWORD
from tests.services.helpers import events
from tests.web.conftest import Web, form_token, settings_for, sign_in


def _visit(web: Web, code: str = "screening") -> int:
    visits = web.client.get(f"/api/v1/subjects/{web.gz_subject}/visits", headers=web.api("nurse.li")).json()
    return int(next(v["id"] for v in visits["items"] if v["visit_code"] == code))


def _vs_form(web: Web, pulse: str, visit_code: str = "screening") -> int:
    saved = save_form(
        web.study.db, web.people["nurse.li"], subject_id=web.gz_subject, form_code="VS", now=NOW,
        visit_id=_visit(web, visit_code), item_values={"PULSE": pulse},
    )  # fmt: skip
    return saved.form_id


def _post(client: TestClient, page_url: str, url: str, data: dict[str, str], **kw: object) -> Any:
    token = form_token(client.get(page_url).text)
    return client.post(url, data=data | {"csrf_token": token}, follow_redirects=False, **kw)  # type: ignore[arg-type]


def test_a_coordinator_reports_an_adverse_event_on_the_form_and_sees_it_listed(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    new = f"/subjects/{web.gz_subject}/adverse-events/new"
    page = browser.get(new)
    assert page.status_code == 200
    assert 'name="rel_admsc"' in page.text
    assert 'name="rel_calcipotriol"' in page.text
    assert "disabled" in page.text  # a coordinator does not assess causality
    assert f'action="/subjects/{web.gz_subject}/adverse-events"' in page.text
    data = {
        "verbatim": "burning at the ointment site",
        "term": "Skin and subcutaneous tissue disorders - Other, specify",
        "start": "2019-08-04",
        "grade": "1",
        "action_taken": "DOSE NOT CHANGED",
        "outcome": "RECOVERED/RESOLVED",
    }
    bad = _post(browser, new, f"/subjects/{web.gz_subject}/adverse-events", data | {"grade": "9"})
    assert bad.status_code == 422
    assert "CTCAE grade 1–5" in bad.text
    assert 'value="burning at the ointment site"' in bad.text  # kept on the form
    made = _post(browser, new, f"/subjects/{web.gz_subject}/adverse-events", data)
    assert made.status_code == 303, made.text
    shown = browser.get(made.headers["location"])
    assert "Saved." in shown.text
    listed = browser.get(f"/subjects/{web.gz_subject}/adverse-events")
    assert "burning at the ointment site" in listed.text


def test_a_serious_event_shows_its_24_hour_clock_once_the_report_is_filed(web: Web, browser: TestClient) -> None:
    sign_in(browser, "dr.wang")
    new = f"/subjects/{web.gz_subject}/adverse-events/new"
    data = {"verbatim": "fever and chills", "term": "Fever", "start": "2019-08-06", "grade": "3",
            "seriousness": "hospitalisation", "rel_admsc": "POSSIBLE", "rel_calcipotriol": "NOT_RELATED"}  # fmt: skip
    made = _post(browser, new, f"/subjects/{web.gz_subject}/adverse-events", data)
    assert made.status_code == 303, made.text
    url = made.headers["location"].split("?")[0]
    page = browser.get(url)
    assert "within 24 hours" in page.text
    assert re.search(r'<option value="POSSIBLE" selected', page.text)  # the investigator's assessment was stored
    assert re.search(r'<option value="POSSIBLE" selected>Possibly related</option>', page.text)  # words, not codes
    listed = browser.get(f"/subjects/{web.gz_subject}/adverse-events").text
    assert '<span data-relatedness="POSSIBLE">Possibly related</span>' in listed
    assert '<span data-relatedness="NOT_RELATED">Not related</span>' in listed
    assert ">NOT_RELATED<" not in listed
    filed = _post(browser, url, f"{url}/sae-reports", {"aware_local": "2019-08-06T20:15", "narrative": "Admitted."})
    assert filed.status_code == 303
    page = browser.get(url)
    assert "2019-08-07 12:15 UTC" in page.text  # 20:15 in Shanghai is 12:15 UTC; due 24 hours later


def test_another_sites_subject_is_404_on_the_pages(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.wu")
    assert browser.get(f"/subjects/{web.gz_subject}/adverse-events").status_code == 404
    assert browser.get(f"/subjects/{web.gz_subject}/adverse-events/new").status_code == 404


def test_a_monitor_raises_a_query_from_the_review_page_the_site_answers_the_monitor_closes(web: Web) -> None:
    form_id = _vs_form(web, "90")
    review = f"/subjects/{web.gz_subject}/forms/{form_id}/review"
    with TestClient(web.client.app, base_url="http://testserver") as monitor:
        sign_in(monitor, "mon")
        page = monitor.get(review)
        assert page.status_code == 200
        assert "Raise query" in page.text
        assert "Pulse rate" in page.text
        raised = _post(monitor, review, "/queries", {"entity_type": "form_instance", "entity_id": str(form_id),
                       "field": "PULSE", "text": "Pulse 90 at rest?", "next": review})  # fmt: skip
        assert (raised.status_code, raised.headers["location"]) == (303, review)
        verified = _post(monitor, review, f"/subjects/{web.gz_subject}/forms/{form_id}/sdv",
                         {"status": "verified", "item": "PULSE"})  # fmt: skip
        assert verified.status_code == 303
        assert "verified" in monitor.get(review).text
    with TestClient(web.client.app, base_url="http://testserver") as nurse:
        sign_in(nurse, "nurse.li")
        listing = nurse.get("/queries")
        assert "Pulse 90 at rest?" in listing.text
        assert "0 days old" in listing.text
        query_id = re.search(r'data-query="(\d+)"', listing.text.split("Pulse 90 at rest?")[0][-3000:])
        assert query_id is not None
        qid = query_id.group(1)
        version = re.search(rf'action="/queries/{qid}/answer"[^>]*>\s*<input[^>]*>\s*<input type="hidden" '
                            r'name="version" value="(\d+)"', listing.text)  # fmt: skip
        assert version is not None
        assert f'formaction="/queries/{qid}/close"' not in listing.text  # the site answers; closing is not offered
        answer = {"text": "Yes, measured twice.", "version": version.group(1)}
        assert _post(nurse, "/queries", f"/queries/{qid}/answer", answer).status_code == 303
        refused = _post(nurse, "/queries", f"/queries/{qid}/close", {"text": "done", "version": "2"})
        assert refused.status_code == 403
    with TestClient(web.client.app, base_url="http://testserver") as monitor:
        sign_in(monitor, "mon")
        stale = _post(monitor, "/queries", f"/queries/{qid}/close", {"text": "ok", "version": "1"})
        assert stale.status_code == 409
        closed = _post(monitor, "/queries", f"/queries/{qid}/close", {"text": "Accepted.", "version": "2"})
        assert closed.status_code == 303
        assert "Accepted." in monitor.get("/queries?status=closed").text
        history = monitor.get(f"/audit/form_instance/{form_id}?item=PULSE")
        assert history.status_code == 200
        assert "nurse.li" in history.text
        assert "90" in history.text


def test_the_investigator_signs_a_visit_and_a_change_invalidates_the_signature(web: Web, browser: TestClient) -> None:
    form_id = _vs_form(web, "64", visit_code="day1")
    visit = _visit(web, "day1")
    sign_page = f"/subjects/{web.gz_subject}/visits/{visit}/sign"
    sign_in(browser, "dr.wang")
    page = browser.get(sign_page)
    assert "I approve these data as correct and complete" in page.text
    wrong = _post(browser, sign_page, sign_page, {"meaning": "approved", "password": "nope"})
    assert wrong.status_code == 401
    signed = _post(browser, sign_page, sign_page, {"meaning": "approved", "password": PASSWORD})
    assert signed.status_code == 303
    page = browser.get(signed.headers["location"])
    assert "Signed by Dr.Wang (dr.wang), approved" in page.text
    save_form(web.study.db, web.people["nurse.li"], subject_id=web.gz_subject, form_code="VS", form_id=form_id,
              item_values={"PULSE": "65"}, expected_version=1, reason="typo", now=NOW)  # fmt: skip
    assert "INVALID" in browser.get(sign_page).text


def test_the_report_page_is_for_readers_of_every_site(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    assert browser.get("/report").status_code == 403
    with TestClient(web.client.app, base_url="http://testserver") as statistician:
        sign_in(statistician, "stat")
        page = statistician.get("/report")
        assert page.status_code == 200
        assert "DERMTRIAL_REPORT_DIR" in page.text  # the test app has no report folder
        assert statistician.get("/report/files/report.pdf").status_code == 404
        assert "Write the report" not in page.text  # nowhere to write it
        run = _post(statistician, "/report", "/report/run", {})
        assert (run.status_code, 'data-error-code="not-found"' in run.text) == (404, True)
    refused = _post(browser, "/dashboard", "/report/run", {})
    assert refused.status_code == 403


def test_the_report_is_written_from_the_page_in_the_server_as_the_signed_in_user(web: Web, tmp_path: Path) -> None:
    """No subprocess and no password: the page calls services.study_report with the session's user."""
    folder = tmp_path / "report"
    url = web.study.db.url.render_as_string(hide_password=False)
    app = create_app(settings_for(url, report_dir=str(folder)), database=web.study.db)
    before = events(web.study.db)
    with TestClient(app, base_url="http://testserver") as statistician:
        sign_in(statistician, "stat")
        page = statistician.get("/report")
        assert "Write the report" in page.text
        assert 'type="password"' not in page.text
        run = _post(statistician, "/report", "/report/run", {})
        assert (run.status_code, run.headers["location"]) == (303, "/report?ran=1")
    new = [e["event_type"] for e in events(web.study.db)[len(before) :]]
    assert new == ["login"]  # the page's own sign-in; writing the report records nothing
    assert {p.name for p in folder.iterdir()} == {"endpoints.json", "report.html", "report.pdf", "figures"}
    endpoints = json.loads((folder / "endpoints.json").read_text(encoding="utf-8"))
    assert (endpoints["protocol"], endpoints["missing_data_rule"]) == ("NCT03392311", "observed")
