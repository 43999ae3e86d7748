"""The user guide's walkthrough in Debian's chromium, as the people of one site would do it in a fresh SQLite study:
the coordinator screens a candidate through the checklist, the investigator attests and signs it, the coordinator
enrolls, records the baseline visit, enters a PASI (the live score is checked against the instrument) and reports a
serious adverse event with its SAE report; the monitor raises a query on a PASI item, the coordinator answers it, the
monitor closes it and verifies the form; the investigator signs the visit; the data manager writes the study report.

Each step asserts what the user sees and takes a screenshot for docs/user-guide.md, in order:
walkthrough-NN-<step>.png (1024 × 768 viewport, fixed data) in the ``screenshots`` folder (docs/screenshots/ only with
DERMTRIAL_SCREENSHOTS=1, as ``make docs`` sets).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from dermtrial.instruments import PasiItems, score_pasi
from dermtrial.store.engine import Database
from dermtrial.store.migrate import upgrade
from dermtrial.web import create_app
from tests.conftest import PASSWORD
from tests.services.conduct_setup import eligible_record
from tests.web.conftest import live_server, make_study, report_folder, settings_for
from tests.web.test_browser import TABLET, _fits, _sign_in, chromium

__all__ = ["chromium"]  # the module's browser, shared with test_browser.py

PASI = {  # region: erythema, induration, desquamation, area
    "head": (2, 1, 2, 3),
    "upper_limbs": (1, 1, 1, 2),
    "trunk": (3, 2, 2, 4),
    "lower_limbs": (2, 2, 1, 3),
}
SIGNS = ("erythema", "induration", "desquamation", "area")


@dataclass(frozen=True)
class Site:
    """The served study and its report folder."""

    url: str
    report: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A fresh study (NCT03392311, sites GZ01 and SH02) with the people of GZ01 and a data manager; no subjects."""
    folder = tmp_path_factory.mktemp("walkthrough")
    url = f"sqlite:///{folder / 'study.db'}"
    db = Database(url)
    upgrade(db)
    study = make_study(db)
    study.user("nurse.li", "coordinator", "GZ01")
    study.user("dr.wang", "investigator", "GZ01")
    study.user("mon", "monitor", "GZ01")
    study.user("lead", "data-manager", None)
    report = report_folder(folder, "walkthrough")
    app = create_app(settings_for(url, report_dir=str(report)), database=db)
    try:
        with live_server(app) as base:
            yield Site(base, report)
    finally:
        db.dispose()


class Walk:
    """One browser tab per person, and the numbered screenshots of the walk."""

    def __init__(self, chromium: Browser, url: str, folder: Path) -> None:
        self.chromium = chromium
        self.folder = folder
        self.url = url
        self.contexts: list[BrowserContext] = []
        self.tabs: dict[str, Page] = {}
        self.shots = 0

    def tab(self, username: str) -> Page:
        """The tab of ``username``, signed in on first use."""
        if username not in self.tabs:
            context = self.chromium.new_context(viewport=TABLET, locale="en-GB")  # type: ignore[arg-type]
            self.contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(10_000)
            _sign_in(page, self.url, username)
            self.tabs[username] = page
        return self.tabs[username]

    def shot(self, page: Page, step: str, *, full_page: bool = True) -> None:
        """The page fits the tablet; its screenshot (the whole page, or what the tablet shows) as
        walkthrough-NN-<step>.png."""
        assert _fits(page), step
        self.shots += 1
        page.screenshot(path=self.folder / f"walkthrough-{self.shots:02d}-{step}.png", full_page=full_page)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def _menu(page: Page, name: str) -> None:
    """Follow an entry of the menu across the top."""
    page.get_by_role("navigation", name="dermtrial").get_by_role("link", name=name, exact=True).click()


def _to_checklist(page: Page) -> None:
    """From any page: menu Screening, then the subject's checklist page (which lists its visits)."""
    _menu(page, "Screening")
    page.get_by_role("link", name="Checklist of GZ01-S001").click()
    page.get_by_role("heading", name="Screening GZ01-S001").wait_for()


def _pasi(values: Mapping[str, tuple[int, ...]]) -> str:
    """The score the instrument gives for the regions entered so far, as the page shows it."""
    items = {region: dict(zip(SIGNS, v, strict=True)) for region, v in values.items()}
    return f"{score_pasi(PasiItems.model_validate(items)).value:.1f}"


def test_a_subject_from_screening_to_a_signed_baseline_visit(site: Site, chromium: Browser, screenshots: Path) -> None:
    walk = Walk(chromium, site.url, screenshots)
    try:
        _walk(walk, site)
    finally:
        walk.close()


def _walk(walk: Walk, site: Site) -> None:
    url = site.url
    # 1. Sign in (coordinator) and the dashboard of the new study
    context = walk.chromium.new_context(viewport=TABLET, locale="en-GB")  # type: ignore[arg-type]
    walk.contexts.append(context)
    login = context.new_page()
    login.goto(f"{url}/login")
    login.get_by_label("User name").fill("nurse.li")
    walk.shot(login, "sign-in")
    nurse = walk.tab("nurse.li")
    assert nurse.get_by_role("heading", name="Study dashboard").is_visible()
    assert nurse.get_by_text("0 of 8 enrolled (0 %)").is_visible()
    walk.shot(nurse, "dashboard")

    # 2. Screening: a new candidate, then the eligibility checklist
    _menu(nurse, "Screening")
    nurse.wait_for_url(f"{url}/screening")
    nurse.get_by_label("Consent form version").fill("1.0")
    nurse.get_by_label("Consent signed (site time)").fill("2019-07-10T10:00")
    walk.shot(nurse, "new-candidate")
    nurse.get_by_role("button", name="Screen candidate").click()
    nurse.wait_for_url(re.compile(rf"{re.escape(url)}/screening/\d+"))
    screening_page = nurse.url
    subject_id = int(screening_page.rsplit("/", 1)[1])
    record = eligible_record(birth_date="1979-03-14")
    nurse.get_by_label("Screening record (JSON)").fill(json.dumps(record, indent=1))
    nurse.get_by_label("Evaluation date").fill("2019-07-20")
    nurse.get_by_role("button", name="Evaluate").click()
    nurse.get_by_test_id("verdict").wait_for()
    assert nurse.get_by_test_id("verdict").inner_text() == "Eligible"
    assert nurse.locator("tr[data-criterion=E5b] .result").inner_text() == "met"
    walk.shot(nurse, "checklist")

    # 3. The investigator attests and signs the evaluation
    pi = walk.tab("dr.wang")
    _menu(pi, "Screening")
    pi.get_by_role("link", name="Checklist of GZ01-S001").click()
    pi.wait_for_url(screening_page)
    pi.get_by_label("I attest that").check()
    pi.get_by_label("Your password (to sign)").fill(PASSWORD)
    pi.get_by_role("button", name="Sign", exact=True).click()
    pi.get_by_text("Signed by Dr.Wang (dr.wang), approved").wait_for()
    pi.locator("#enroll").scroll_into_view_if_needed()
    walk.shot(pi, "eligibility-signed", full_page=False)

    # 4. Enrollment (coordinator)
    nurse.reload()
    nurse.get_by_label("Enrollment date").fill("2019-07-25")
    nurse.get_by_role("button", name="Enroll").click()
    nurse.get_by_test_id("subject-number").wait_for()
    number = nurse.get_by_test_id("subject-number").inner_text()
    assert number == "GZ01-E01"
    walk.shot(nurse, "enrolled", full_page=False)

    # 5. The baseline visit (day 1): record it, then its forms
    nurse.get_by_role("link", name="day1").click()
    nurse.get_by_role("heading", name="Day 1 (baseline, first infusion)").wait_for()
    visit_page = nurse.url
    visit_id = int(visit_page.rstrip("/").rsplit("/", 1)[1])
    nurse.get_by_label("Visit date").fill("2019-08-01")
    nurse.get_by_role("button", name="Record visit").click()
    nurse.get_by_text("The visit is recorded (in window).").wait_for()
    assert nurse.locator("tr[data-form=PASI]").is_visible()
    walk.shot(nurse, "visit")

    # 6. PASI: the score follows each region as it is entered
    nurse.get_by_role("link", name="Psoriasis Area and Severity Index").click()
    total = nurse.get_by_test_id("pasi-total")
    entered: dict[str, tuple[int, ...]] = {}
    for region, values in PASI.items():
        for sign, value in zip(SIGNS, values, strict=True):
            nurse.locator(f"input[name='{region}.{sign}']").fill(str(value))
        entered[region] = values
        want = _pasi({r: entered.get(r, (0, 0, 0, 0)) for r in PASI})
        nurse.wait_for_function("([el, want]) => el.textContent === want", arg=[total.element_handle(), want])
    # by hand: 0.1 × 5 × 3 + 0.2 × 3 × 2 + 0.3 × 7 × 4 + 0.4 × 5 × 3 = 1.5 + 1.2 + 8.4 + 6.0 = 17.1
    assert total.inner_text() == _pasi(PASI) == "17.1"
    walk.shot(nurse, "pasi")
    nurse.get_by_role("button", name="Save as complete").click()
    nurse.get_by_text("Saved.").wait_for()
    assert total.inner_text() == "17.1"
    nurse.get_by_role("link", name="Day 1 (baseline, first infusion)").click()
    assert nurse.locator("tr[data-form=PASI] .state").inner_text() == "complete"

    # 7. The subject matrix: one row, the visits in colour
    _menu(nurse, "Subject matrix")
    nurse.wait_for_url(f"{url}/subjects")
    row = nurse.locator("table.matrix tbody tr")
    assert row.count() == 1
    assert row.first.locator("th").inner_text() == "GZ01-E01"
    assert row.first.locator("td.cell").count() >= 2
    walk.shot(nurse, "matrix")

    # 8. A serious adverse event and its reporting clock (relatedness is the investigator's)
    _to_checklist(nurse)
    nurse.get_by_role("link", name="Adverse events of the subject").click()
    nurse.get_by_role("link", name="Report an adverse event").click()
    nurse.get_by_label("The event as reported (verbatim)").fill("cellulitis of the left leg")
    nurse.get_by_label("CTCAE term").select_option("Skin infection")
    nurse.get_by_label("Onset date").fill("2019-08-05")
    nurse.get_by_label("CTCAE grade").select_option("3")
    nurse.get_by_label("Requires inpatient hospitalisation or prolongs it").check()
    assert nurse.get_by_label("Relatedness to Calcipotriol ointment").is_disabled()
    nurse.get_by_label("Outcome").select_option("RECOVERING/RESOLVING")
    nurse.get_by_role("button", name="Save the adverse event").click()
    nurse.get_by_text("Saved.").wait_for()
    assert nurse.get_by_text("within 24 hours of learning of it").is_visible()
    nurse.get_by_label("When the site learned of the event").fill("2019-08-05T08:30")
    nurse.get_by_label("Narrative or new information").fill("Admitted for intravenous antibiotics.")
    nurse.get_by_role("button", name="File the initial SAE report").click()
    nurse.get_by_text("Saved.").wait_for()
    assert "2019-08-06 00:30 UTC" in nurse.get_by_role("table").first.inner_text()  # 08:30 in Guangzhou + 24 h
    walk.shot(nurse, "adverse-event")
    event_page = nurse.url.split("?", 1)[0]

    # 9. The investigator assesses the relatedness to each study product
    _to_checklist(pi)
    pi.get_by_role("link", name="Adverse events of the subject").click()
    pi.get_by_role("link", name="Skin infection").click()
    pi.wait_for_url(event_page + "*")
    pi.get_by_label("Relatedness to adipose-derived multipotent mesenchymal stem cells").select_option("UNLIKELY")
    pi.get_by_label("Relatedness to Calcipotriol ointment").select_option("NOT_RELATED")
    pi.get_by_label("Reason for the change").fill("Causality assessed by the investigator.")
    pi.get_by_role("button", name="Save the adverse event").click()
    pi.get_by_text("Saved.").wait_for()
    pi.get_by_role("link", name="Adverse events of the subject").click()
    events = pi.get_by_role("table").inner_text()
    assert "cellulitis of the left leg" in events
    assert "unlikely" in events.lower()  # the relatedness to the cells, as assessed
    walk.shot(pi, "adverse-events")

    # 10. The monitor raises a query on one PASI item, from the form's review page
    mon = walk.tab("mon")
    _to_checklist(mon)
    mon.get_by_role("link", name="day1").click()
    mon.locator("tr[data-form=PASI]").get_by_role("link", name="Review and SDV").click()
    item = mon.locator("#item-trunk\\.area")
    assert item.locator("td").first.inner_text().startswith("4")
    item.get_by_text("Raise query").click()
    item.locator("textarea").fill("Trunk area 4 (50–69 %): please confirm against the body chart.")
    item.get_by_role("button", name="Send the query").click()
    mon.locator("#item-trunk\\.area").get_by_text("query open").wait_for()
    walk.shot(mon, "query-raised")

    # 11. The coordinator answers it (menu Queries)
    _menu(nurse, "Queries")
    card = nurse.locator("section[data-query]").filter(has_text="please confirm against the body chart")
    assert card.count() == 1
    card.get_by_label("Answer or note").fill("Checked: the body chart shows 55 %, the value is right.")
    walk.shot(nurse, "query-answer")
    card.get_by_role("button", name="Answer").click()
    nurse.wait_for_url(f"{url}/queries?status=open")

    # 12. The monitor closes it
    _menu(mon, "Queries")
    mon.get_by_label("Status").select_option("answered")
    mon.get_by_role("button", name="Show").click()
    mon.wait_for_url(f"{url}/queries?status=answered")
    card = mon.locator("section[data-query]").filter(has_text="please confirm against the body chart")
    assert "the body chart shows 55 %" in card.inner_text()
    card.get_by_label("Answer or note").fill("Thank you, resolved.")
    card.get_by_role("button", name="Close").click()
    mon.get_by_label("Status").select_option("closed")
    mon.get_by_role("button", name="Show").click()
    mon.wait_for_url(f"{url}/queries?status=closed")
    closed = mon.locator("section[data-query]").filter(has_text="please confirm against the body chart")
    assert "Thank you, resolved." in closed.inner_text()
    walk.shot(mon, "query-closed")

    # 13. Source data verification: the monitor opens the form from the query and verifies it
    closed.get_by_role("link").first.click()
    mon.get_by_role("heading", name="Review of form PASI").wait_for()
    mon.get_by_role("button", name="Verify the whole form").click()
    mon.get_by_role("heading", name="Source data verification: verified").wait_for()
    assert mon.locator("#item-trunk\\.area").get_by_text("verified", exact=True).is_visible()
    walk.shot(mon, "sdv")

    # 14. The investigator signs the visit
    _to_checklist(pi)
    pi.get_by_role("link", name="day1").click()
    pi.get_by_role("link", name="Sign this visit").click()
    pi.wait_for_url(f"{url}/subjects/{subject_id}/visits/{visit_id}/sign")
    assert pi.get_by_text("I approve these data as correct and complete").is_visible()
    pi.get_by_label("Your password (re-enter it to sign)").fill(PASSWORD)
    pi.get_by_role("button", name="Sign", exact=True).click()
    pi.get_by_text("forms signed.").wait_for()
    assert "Signed by Dr.Wang (dr.wang), approved" in pi.get_by_role("table").inner_text()
    walk.shot(pi, "visit-signed")

    # 15. The study report (data manager): written from the page by `dermtrial report`, then opened
    lead = walk.tab("lead")
    lead.goto(f"{url}/dashboard")
    _menu(lead, "Report")  # the menu shows Report to who may open it (subjects read at every site)
    lead.wait_for_url(f"{url}/report")
    assert lead.get_by_text("The report has not been run yet.").is_visible()
    password = lead.get_by_label("Your password (the command runs as you)")
    if password.count():  # the page asked for the password while the report ran as a command
        password.fill(PASSWORD)
    with lead.expect_navigation(timeout=120_000):
        lead.get_by_role("button", name="Write the report").click(no_wait_after=True)
    lead.get_by_text("The report was written again from the live data.").wait_for()
    assert lead.get_by_role("heading", name="Primary endpoint: PASI improvement at week 12").is_visible()
    assert lead.get_by_role("link", name="report.pdf").is_visible()
    assert (site.report / "endpoints.json").is_file()
    walk.shot(lead, "report")

    # 16. Back on the dashboard (coordinator): one enrolled, the event by grade, the visits overdue
    _menu(nurse, "Dashboard")
    nurse.wait_for_url(f"{url}/dashboard")
    assert nurse.get_by_text("1 of 8 enrolled (12 %)").is_visible()
    assert nurse.get_by_test_id("open-queries").inner_text() == "0"
    walk.shot(nurse, "dashboard-after")
