"""Links between the conduct and the review pages, on SQLite and PostgreSQL: the visit page links to signing the visit,
the subject's adverse events and each saved form's review; a form page links to its review and audit history and,
for whoever may raise queries, carries a Raise query control per item that raises the query and comes back."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dermtrial.services.forms import save_form
from dermtrial.services.queries import list_queries
from tests.conftest import NOW
from tests.web.conftest import Web, form_token, sign_in

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def _screening_visit(web: Web) -> int:
    visits = web.client.get(f"/api/v1/subjects/{web.gz_subject}/visits", headers=web.api("nurse.li")).json()["items"]
    return int(next(v["id"] for v in visits if v["visit_code"] == "screening"))


def _saved_vs(web: Web) -> int:
    """The screening visit's vital signs, saved once for the module (the fixture is shared by its tests)."""
    found = web.client.get(f"/api/v1/subjects/{web.gz_subject}/visits", headers=web.api("nurse.li")).json()["items"]
    screening = next(v for v in found if v["visit_code"] == "screening")
    saved = [f["id"] for f in screening.get("forms", []) if f.get("form_code") == "VS"]
    if saved:
        return int(saved[0])
    return save_form(
        web.study.db, web.people["nurse.li"], subject_id=web.gz_subject, form_code="VS", now=NOW,
        visit_id=screening["id"], item_values={"PULSE": "72", "SYSBP": "120"},
    ).form_id  # fmt: skip


def test_the_visit_and_subject_pages_link_to_the_review_pages(web: Web, browser: TestClient) -> None:
    form_id = _saved_vs(web)
    visit = _screening_visit(web)
    subject = web.gz_subject
    sign_in(browser, "nurse.li")
    page = browser.get(f"/subjects/{subject}/visits/{visit}").text
    links = {
        f"/subjects/{subject}/visits/{visit}/sign": "Sign this visit",
        f"/subjects/{subject}/adverse-events": "Adverse events of the subject",
        f"/subjects/{subject}/forms/{form_id}/review": "Review and SDV",
    }
    for href, text in links.items():
        assert re.search(rf'<a href="{re.escape(href)}">{text}', page), href
        assert browser.get(href).status_code == 200, href  # each link opens for the coordinator
    assert page.count("/review") == 1  # only the saved form has a review page
    checklist = browser.get(f"/screening/{subject}").text
    assert f'<a href="/subjects/{subject}/adverse-events">Adverse events of the subject</a>' in checklist


def test_a_form_page_links_to_its_review_and_history_and_raises_a_query_per_item(web: Web, browser: TestClient) -> None:
    form_id = _saved_vs(web)
    url = f"/subjects/{web.gz_subject}/visits/{_screening_visit(web)}/forms/VS"
    sign_in(browser, "mon")
    page = browser.get(url).text
    assert f'href="/subjects/{web.gz_subject}/forms/{form_id}/review">Review and SDV</a>' in page
    assert f'href="/audit/form_instance/{form_id}?back={url}">Audit history</a>' in page
    # one control per item, its fields owned by a form placed after the CRF (forms cannot nest)
    owner = f"qf-{form_id}-PULSE"
    assert f'<form id="{owner}" method="post" action="/queries"></form>' in page
    assert re.search(rf'<textarea id="q-{form_id}-PULSE" name="text"[^>]* form="{owner}"', page)
    crf = page[page.index('<form method="post" class="crf"') : page.index("</form>")]
    assert "<form" not in crf[1:]
    data = {"csrf_token": form_token(page), "entity_type": "form_instance", "entity_id": str(form_id),
            "field": "PULSE", "next": url, "text": "Pulse 72 in the source?"}  # fmt: skip
    raised = browser.post("/queries", data=data, follow_redirects=False)
    assert (raised.status_code, raised.headers["location"]) == (303, url)
    found = list_queries(web.study.db, web.people["mon"], now=NOW, subject_id=web.gz_subject)
    assert [(q.field, q.entity_id) for q in found if q.text == "Pulse 72 in the source?"] == [("PULSE", form_id)]


def test_the_coordinator_sees_the_review_link_but_no_query_control_or_history(web: Web, browser: TestClient) -> None:
    form_id = _saved_vs(web)
    sign_in(browser, "nurse.li")
    page = browser.get(f"/subjects/{web.gz_subject}/visits/{_screening_visit(web)}/forms/VS").text
    assert f"/subjects/{web.gz_subject}/forms/{form_id}/review" in page
    assert "/audit/" not in page  # audit.read: monitors and data managers
    assert 'action="/queries"' not in page  # query.raise: monitors and data managers
    unsaved = browser.get(f"/subjects/{web.gz_subject}/visits/{_screening_visit(web)}/forms/DM").text
    assert "Review and SDV" not in unsaved  # nothing to review before the form is saved
