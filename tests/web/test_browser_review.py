"""The safety and review screens in a real browser (Debian's chromium through Playwright) against uvicorn serving a
SQLite copy of the small study: report an AE and file its SAE report, raise a query from a form and close it, sign a
visit, write the study report from its page (``services.study_report``, as the command) and open its figures; axe
finds no serious violation on these pages; screenshots go to the ``screenshots`` folder
(docs/screenshots/ with DERMTRIAL_SCREENSHOTS=1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from dermtrial.services.api_tokens import create_api_token
from dermtrial.services.overview import subject_visits
from dermtrial.store.engine import Database
from dermtrial.store.migrate import upgrade
from dermtrial.web import create_app
from tests.conftest import NOW, PASSWORD
from tests.study_analysis.study_setup import build_small_study
from tests.web.conftest import live_server, make_study, report_folder, settings_for
from tests.web.test_browser import TABLET, _fits, _serious, _sign_in, chromium

__all__ = ["chromium"]  # the module's browser, shared with test_browser.py


@dataclass(frozen=True)
class Served:
    """The running app and the records the tests open."""

    url: str
    subject: int
    visit: int
    form: int
    token: str
    report: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The small study in SQLite served by uvicorn, with a report folder (written by the report test)."""
    folder = tmp_path_factory.mktemp("browser-review")
    url = f"sqlite:///{folder / 'study.db'}"
    db = Database(url)
    upgrade(db)
    small = build_small_study(make_study(db))
    small.setup.user("mon", "monitor", "GZ01")
    lead = small.setup.user("lead", "data-manager", None)
    token = create_api_token(db, lead, name="tests", now=NOW).token
    subject = small.ids["A"]
    visit = next(v for v in subject_visits(db, small.pi, subject_id=subject) if v.forms and v.visit_code == "day1")
    report = report_folder(folder, "browser-review")
    app = create_app(settings_for(url, report_dir=str(report)), database=db)
    try:
        with live_server(app) as base:
            yield Served(base, subject, visit.visit_id, visit.forms[0].form_id, token, report)
    finally:
        db.dispose()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context at tablet size (1024 × 768), English."""
    context = chromium.new_context(viewport=TABLET, locale="en-GB")  # type: ignore[arg-type]
    try:
        tab = context.new_page()
        tab.set_default_timeout(8000)
        yield tab
    finally:
        context.close()


def _check(page: Page, axe: Axe, shot: Path) -> None:
    """No serious accessibility violation, the page fits the tablet, and its screenshot."""
    assert _serious(axe.run(page)) == []
    assert _fits(page), shot.name
    page.screenshot(path=shot, full_page=True)


def test_report_an_adverse_event_and_file_the_sae_report(served: Served, page: Page, screenshots: Path) -> None:
    axe = Axe()
    _sign_in(page, served.url, "dr.wang")
    page.goto(f"{served.url}/subjects/{served.subject}/adverse-events")
    page.get_by_role("link", name="Report an adverse event").click()
    page.get_by_label("The event as reported (verbatim)").fill("cellulitis of the left leg")
    page.get_by_label("CTCAE term").select_option("Skin infection")
    page.get_by_label("Onset date").fill("2019-08-20")
    page.get_by_label("CTCAE grade").select_option("3")
    page.get_by_label("Requires inpatient hospitalisation or prolongs it").check()
    page.get_by_label("Relatedness to adipose-derived multipotent mesenchymal stem cells").select_option("UNLIKELY")
    page.get_by_label("Relatedness to Calcipotriol ointment").select_option("NOT_RELATED")
    page.get_by_label("Outcome").select_option("RECOVERING/RESOLVING")
    page.get_by_role("button", name="Save the adverse event").click()
    page.get_by_text("Saved.").wait_for()
    assert page.get_by_text("within 24 hours of learning of it").is_visible()
    page.get_by_label("When the site learned of the event").fill("2019-08-21T08:30")
    page.get_by_label("Narrative or new information").fill("Admitted for intravenous antibiotics.")
    page.get_by_role("button", name="File the initial SAE report").click()
    page.get_by_text("Saved.").wait_for()
    clocks = page.get_by_role("table").first.inner_text()
    assert "2019-08-22 00:30 UTC" in clocks  # 08:30 in Guangzhou is 00:30 UTC; the site reports within 24 hours
    _check(page, axe, screenshots / "adverse-event.png")
    page.get_by_role("link", name="Adverse events of the subject").click()
    assert "cellulitis of the left leg" in page.get_by_role("table").inner_text()
    _check(page, axe, screenshots / "adverse-events.png")


def test_raise_a_query_on_a_field_answer_it_and_close_it(served: Served, chromium: Browser, screenshots: Path) -> None:
    axe = Axe()
    review = f"{served.url}/subjects/{served.subject}/forms/{served.form}/review"
    monitor = chromium.new_context(viewport=TABLET, locale="en-GB")  # type: ignore[arg-type]
    nurse = chromium.new_context(viewport=TABLET, locale="en-GB")  # type: ignore[arg-type]
    try:
        page = monitor.new_page()
        _sign_in(page, served.url, "mon")
        page.goto(review)
        row = page.locator("tbody tr").filter(has=page.locator("details")).first
        row.get_by_text("Raise query").click()
        row.locator("textarea").fill("Please check this value against the source notes.")
        row.get_by_role("button", name="Send the query").click()
        page.wait_for_url(review)
        page.get_by_role("button", name="Verify the whole form").click()
        page.wait_for_url(review)
        assert "verified" in page.get_by_role("heading", name="Source data verification: verified").inner_text()
        _check(page, axe, screenshots / "form-review.png")

        other = nurse.new_page()
        _sign_in(other, served.url, "nurse.li")
        other.get_by_role("link", name="Queries").click()
        card = other.locator("section[data-query]").filter(has_text="Please check this value")
        card.get_by_label("Answer or note").fill("Checked: the value matches the source.")
        card.get_by_role("button", name="Answer").click()
        other.wait_for_url(f"{served.url}/queries?status=open")
        assert other.locator("section[data-query]").filter(has_text="Please check this value").count() == 0

        page.goto(f"{served.url}/queries?status=answered")
        card = page.locator("section[data-query]").filter(has_text="Please check this value")
        assert "0 days old" in card.inner_text()
        _check(page, axe, screenshots / "queries.png")
        card.get_by_label("Answer or note").fill("Thank you, resolved.")
        card.get_by_role("button", name="Close").click()
        page.goto(f"{served.url}/queries?status=closed")
        assert "Thank you, resolved." in page.locator("section[data-query]").last.inner_text()
        page.goto(review)
        page.get_by_role("link", name="Audit history").click()
        page.get_by_role("heading", name="Audit history").wait_for()  # the click navigates: wait for the page
        _check(page, axe, screenshots / "audit-history.png")
    finally:
        monitor.close()
        nurse.close()


def test_sign_a_visit_with_the_password(served: Served, page: Page, screenshots: Path) -> None:
    axe = Axe()
    _sign_in(page, served.url, "dr.wang")
    page.goto(f"{served.url}/subjects/{served.subject}/visits/{served.visit}/sign")
    assert page.get_by_text("I approve these data as correct and complete").is_visible()
    page.get_by_label("Your password (re-enter it to sign)").fill(PASSWORD)
    page.get_by_role("button", name="Sign", exact=True).click()
    page.get_by_text("forms signed.").wait_for()
    assert "Signed by Dr.Wang (dr.wang), approved" in page.get_by_role("table").inner_text()
    _check(page, axe, screenshots / "sign-visit.png")


def test_the_conduct_pages_link_to_the_review_pages(served: Served, page: Page) -> None:
    """From the visit page to signing, the adverse events and a form's review; a query raised on a form page."""
    _sign_in(page, served.url, "mon")
    visit_url = f"{served.url}/subjects/{served.subject}/visits/{served.visit}"
    for link, where, heading in (
        ("Sign this visit", f"/visits/{served.visit}/sign", "Sign visit"),
        ("Adverse events of the subject", "/adverse-events", "Adverse events of the subject"),
        ("Review and SDV", "/review", "Review of form"),
    ):
        page.goto(visit_url)
        page.get_by_role("link", name=link).first.click()
        page.wait_for_url(f"**{where}")
        assert page.get_by_role("heading", level=1).inner_text().startswith(heading), link
    # a saved form rendered by the generic form page (not PASI or Zung): Raise query beside its items
    visits = httpx.get(
        f"{served.url}/api/v1/subjects/{served.subject}/visits", headers={"Authorization": f"Bearer {served.token}"}
    ).json()["items"]
    visit, form = next(
        (v, f) for v in visits for f in v["forms"] if f["visit_id"] and f["form_code"] not in {"PASI", "SAS", "SDS"}
    )
    form_url = f"{served.url}/subjects/{served.subject}/visits/{visit['id']}/forms/{form['form_code']}"
    page.goto(form_url)
    page.get_by_role("link", name="Audit history").click()
    page.get_by_role("heading", name="Audit history").wait_for()
    page.goto(form_url)
    page.get_by_role("link", name="Review and SDV").click()
    page.wait_for_url(f"**/forms/{form['id']}/review")
    page.goto(form_url)
    item = page.locator(".field").filter(has=page.locator("details.raise-query")).first
    item.get_by_text("Raise query").click()
    item.locator("textarea").fill("Raised from the form page: please check the source.")
    item.get_by_role("button", name="Send the query").click()
    page.wait_for_url(form_url)
    page.goto(f"{served.url}/queries")
    assert page.locator("section[data-query]").filter(has_text="Raised from the form page").count() == 1


def test_the_live_score_of_an_instrument_form(served: Served, page: Page, screenshots: Path) -> None:
    """sPGA and DLQI on their form pages: the instrument's score appears as the items are typed, a refusal too."""
    _sign_in(page, served.url, "nurse.li")
    visits = httpx.get(
        f"{served.url}/api/v1/subjects/{served.subject}/visits", headers={"Authorization": f"Bearer {served.token}"}
    ).json()["items"]
    week4 = next(v["id"] for v in visits if v["visit_code"] == "week4")
    page.goto(f"{served.url}/subjects/{served.subject}/visits/{week4}/forms/SPGA")
    score = page.get_by_test_id("score-value")
    page.get_by_label("Static Physician's Global Assessment").fill("3")
    expect(score).to_have_text("3")
    page.get_by_label("Static Physician's Global Assessment").fill("5")
    page.get_by_text("5 is not allowed: must be a whole number 0–4").wait_for()
    expect(score).to_have_text("\u2014")
    assert _serious(Axe().run(page)) == []
    page.goto(f"{served.url}/subjects/{served.subject}/visits/{served.visit}/forms/DLQI")
    for n in (1, 2):
        page.locator(f"#f-q{n}").fill("1")
    page.get_by_text("the DLQI total is missing when two or more items are unanswered").wait_for()  # eight left
    for n in (3, 4, 5, 6, 8, 9, 10):
        page.locator(f"#f-q{n}").select_option("1")
    expect(score).to_have_text("9")  # only item 7 unanswered: it scores 0 (flagged), 9 × 1
    page.locator("#f-q7-prevented").select_option("no")
    page.locator("#f-q7-problem").fill("2")
    expect(score).to_have_text("11")  # nine items at 1, item 7 "no" with its follow-up at 2: 9 × 1 + 2
    assert _fits(page)
    page.screenshot(path=screenshots / "dlqi.png", full_page=True)


def test_write_the_report_from_the_page_and_open_its_figures_and_downloads(
    served: Served, page: Page, screenshots: Path
) -> None:
    axe = Axe()
    _sign_in(page, served.url, "lead")
    page.goto(f"{served.url}/report")
    assert page.get_by_text("The report has not been run yet.").is_visible()
    assert page.locator("input[type=password]").count() == 0  # no password: writing the report signs nothing
    with page.expect_navigation(timeout=300_000):
        page.get_by_role("button", name="Write the report").click(no_wait_after=True)
    page.get_by_text("The report was written again from the live data.").wait_for()
    assert page.get_by_role("heading", name="Primary endpoint: PASI improvement at week 12").is_visible()
    assert page.get_by_role("link", name="report.pdf").is_visible()
    figures = page.locator("img.figure")
    assert figures.count() >= 1
    assert all(figures.nth(i).evaluate("img => img.naturalWidth > 0") for i in range(figures.count()))
    with page.expect_download() as download:
        page.get_by_role("link", name="endpoints.json").click()
    assert download.value.suggested_filename == "endpoints.json"
    _check(page, axe, screenshots / "report.png")
    # the API gives the same primary endpoint JSON as the file the page wrote
    answer = httpx.get(f"{served.url}/api/v1/endpoints", headers={"Authorization": f"Bearer {served.token}"})
    assert answer.status_code == 200
    assert answer.json() == json.loads((served.report / "endpoints.json").read_text(encoding="utf-8"))


def test_the_queries_page_in_chinese(served: Served, page: Page, screenshots: Path) -> None:
    """Run last: the language chosen stays on the user (the data manager, whom no later test signs in)."""
    _sign_in(page, served.url, "lead")
    page.get_by_label("Language").select_option("zh-Hans")
    page.get_by_role("heading", name="研究概览").wait_for()  # the menu applies itself (app.js)
    page.goto(f"{served.url}/queries?status=all")
    assert page.get_by_role("heading", name="质疑", exact=True).is_visible()
    assert "天" in page.locator("section[data-query]").first.inner_text()  # the age, in days
    _check(page, Axe(), screenshots / "queries-zh.png")
