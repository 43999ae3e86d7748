"""The conduct screens in Debian's chromium: screen a candidate, evaluate the checklist, sign, enroll, open day 1,
enter a PASI and watch the live score (the number shown is dermtrial.instruments.pasi's), save it; axe on each
new page; screenshots in the ``screenshots`` folder (docs/screenshots/ with DERMTRIAL_SCREENSHOTS=1)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from dermtrial.instruments import PasiItems, ZungAnswers, score_pasi, score_zung_sas
from dermtrial.services import Actor
from dermtrial.services.auth import login
from dermtrial.services.forms import save_form
from dermtrial.services.infusion_preview import preview_dose
from dermtrial.services.lab_preview import preview_lab_grade
from dermtrial.services.overview import FormRow, list_subjects, subject_visits
from dermtrial.services.reference_ranges import add_reference_range
from dermtrial.store.engine import Database
from dermtrial.store.migrate import upgrade
from dermtrial.web import create_app
from tests.conftest import NOW, PASSWORD
from tests.services.conduct_setup import eligible_record
from tests.web.conftest import live_server, make_study, settings_for
from tests.web.test_browser import TABLET, _fits, _serious, _sign_in, chromium

__all__ = ["chromium"]  # the module's browser fixture, shared with test_browser

ENTRY = {  # head, upper limbs, trunk, lower limbs: erythema, induration, desquamation, area
    "head": (2, 1, 2, 3),
    "upper_limbs": (1, 1, 1, 2),
    "trunk": (3, 2, 2, 4),
    "lower_limbs": (2, 2, 1, 0),
}


@pytest.fixture(scope="module")
def conduct_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Database]]:
    """uvicorn over a SQLite study with its sites and people, no subjects yet."""
    path = tmp_path_factory.mktemp("conduct") / "study.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    study = make_study(db)
    pi = study.user("dr.wang", "investigator", "GZ01")
    add_reference_range(
        db,
        pi,
        site_code="GZ01",
        laboratory="central lab",
        test_code="PLAT",
        unit="10^9/L",
        lower="125",
        upper="350",
        effective_from=dt.date(2019, 1, 1),
        now=NOW,
    )
    app = create_app(settings_for(f"sqlite:///{path}"), database=db)
    try:
        with live_server(app) as url:
            yield url, db
    finally:
        db.dispose()


def _expected(values: Mapping[str, tuple[int, ...]]) -> Decimal:
    keys = ("erythema", "induration", "desquamation", "area")
    return score_pasi(PasiItems.model_validate({r: dict(zip(keys, v, strict=True)) for r, v in values.items()})).value


def test_screen_enroll_and_enter_a_pasi_with_its_live_score(
    conduct_server: tuple[str, Database], chromium: Browser, screenshots: Path
) -> None:
    server, db = conduct_server
    axe = Axe()
    context = chromium.new_context(viewport=TABLET, locale="en-GB")  # type: ignore[arg-type]
    page: Page = context.new_page()
    try:
        _sign_in(page, server, "dr.wang")
        page.get_by_role("link", name="Screening").click()
        page.wait_for_url(f"{server}/screening")
        page.get_by_label("Consent form version").fill("1.0")
        page.get_by_label("Consent signed (site time)").fill("2019-07-10T10:00")
        assert _serious(axe.run(page)) == []
        page.screenshot(path=screenshots / "screening.png", full_page=True)
        page.get_by_role("button", name="Screen candidate").click()
        page.wait_for_url(f"{server}/screening/*")
        page.get_by_label("Screening record (JSON)").fill(json.dumps(eligible_record(birth_date="1979-03-14")))
        page.get_by_label("Evaluation date").fill("2019-07-20")
        page.get_by_role("button", name="Evaluate").click()
        page.get_by_test_id("verdict").wait_for()
        assert page.get_by_test_id("verdict").inner_text() == "Eligible"
        calcium = page.locator("tr[data-criterion=E5b]")
        assert calcium.locator(".result").inner_text() == "met"
        assert "2.1–2.6 mmol/L" in calcium.inner_text()
        assert "> 2.9 mmol/L" in calcium.inner_text()
        page.get_by_label("Enrollment date").fill("2019-07-25")
        page.get_by_role("button", name="Enroll").click()  # not signed yet: refused, the field named
        page.locator("[data-error-field=eligibility]").wait_for()
        assert "signed by an investigator" in page.get_by_role("alert").inner_text()
        page.get_by_label("I attest that").check()
        page.get_by_label("Your password (to sign)").fill(PASSWORD)
        page.get_by_role("button", name="Sign", exact=True).click()
        page.get_by_text("Signed by Dr.Wang (dr.wang), approved").wait_for()
        assert _serious(axe.run(page)) == []
        assert _fits(page)
        page.screenshot(path=screenshots / "screening-checklist.png", full_page=True)
        page.get_by_label("Enrollment date").fill("2019-07-25")
        page.get_by_role("button", name="Enroll").click()
        page.get_by_test_id("subject-number").wait_for()
        number = page.get_by_test_id("subject-number").inner_text()
        assert number.startswith("GZ01-")
        page.get_by_role("link", name="day1").click()
        page.get_by_role("heading", name="Day 1 (baseline, first infusion)").wait_for()
        page.get_by_label("Visit date").fill("2019-08-01")
        page.get_by_role("button", name="Record visit").click()
        page.get_by_text("The visit is recorded (in window).").wait_for()
        assert _serious(axe.run(page)) == []
        page.screenshot(path=screenshots / "visit.png", full_page=True)
        page.get_by_role("link", name="Psoriasis Area and Severity Index").click()
        total = page.get_by_test_id("pasi-total")
        entered: dict[str, tuple[int, ...]] = dict.fromkeys(ENTRY, (0, 0, 0, 0))
        signs = ("erythema", "induration", "desquamation", "area")
        for region, values in ENTRY.items():
            for sign, value in zip(signs, values, strict=True):
                page.locator(f"input[name='{region}.{sign}']").fill(str(value))
                done = list(entered[region])
                done[signs.index(sign)] = value
                entered[region] = tuple(done)
            expected = _expected(entered)
            page.wait_for_function(
                "([el, want]) => el.textContent === want", arg=[total.element_handle(), f"{expected:.1f}"]
            )
        # by hand: 0.1 × (2+1+2) × 3 + 0.2 × 3 × 2 + 0.3 × 7 × 4 + 0.4 × 5 × 0 = 1.5 + 1.2 + 8.4 + 0 = 11.1
        assert total.inner_text() == f"{_expected(ENTRY):.1f}" == "11.1"
        # lower limbs: signs without area is flagged as soon as the region is entered
        page.locator("[data-flag='lower_limbs:signs_without_area']").wait_for()
        assert page.locator("[data-pasi-missing]").is_hidden()
        assert _serious(axe.run(page)) == []
        assert _fits(page)
        page.screenshot(path=screenshots / "pasi.png", full_page=True)
        page.keyboard.press("Tab")  # the last change: the draft is autosaved through the API
        page.locator("form[data-autosave-state=saved]").wait_for()
        assert page.get_by_text("Draft saved.").is_visible()
        draft = _form(db, "day1", "PASI")
        assert draft.status == "in-progress"
        assert draft.item_values["trunk.area"] == 4
        page.get_by_role("button", name="Save as complete").click()
        page.get_by_text("Saved.").wait_for()
        assert total.inner_text() == "11.1"
        saved = _form(db, "day1", "PASI")
        assert saved.status == "complete"
        assert saved.derived is not None
        assert saved.derived["pasi"] == 11.1
        _vital_signs(page, axe, screenshots)
        _lab(page, db, axe, screenshots)
        _infusion(page, db, axe, screenshots)
        _ointment(page, axe, screenshots)
        _zung(page, server, db, axe, screenshots)
    finally:
        context.close()


def _actor(db: Database) -> Actor:
    return login(db, username="dr.wang", password=PASSWORD, now=NOW).actor


def _form(db: Database, visit_code: str, form_code: str) -> FormRow:
    """The enrolled subject's form of a visit, read through the services."""
    subject = list_subjects(db, _actor(db), status="enrolled").items[0]
    visit = next(v for v in subject_visits(db, _actor(db), subject_id=subject.subject_id) if v.visit_code == visit_code)
    return next(f for f in visit.forms if f.form_code == form_code)


def _vital_signs(page: Page, axe: Axe, shots: Path) -> None:
    """A form rendered from its definition: an out-of-range pulse comes back next to its field, nothing lost."""
    page.get_by_role("link", name="Day 1 (baseline, first infusion)").click()
    page.get_by_role("link", name="Vital signs").click()
    pulse = page.get_by_label("Pulse")
    assert pulse.get_attribute("min") == "20"
    assert pulse.get_attribute("max") == "220"
    page.get_by_label("Systolic").fill("118")
    pulse.fill("900")
    page.get_by_role("button", name="Save draft").click()
    page.locator("[data-field-error=PULSE]").wait_for()
    assert "outside 20.0–220.0 1/min" in page.locator("[data-field-error=PULSE]").inner_text()
    assert page.get_by_label("Systolic").input_value() == "118"
    assert _serious(axe.run(page)) == []
    assert _fits(page)
    page.screenshot(path=shots / "form-vital-signs.png", full_page=True)


def _lab(page: Page, db: Database, axe: Axe, shots: Path) -> None:
    """A platelet count: the grade shown live is the safety core's, and the saved result keeps it."""
    pasi = _form(db, "day1", "PASI")
    save_form(
        db,
        _actor(db),
        subject_id=pasi.subject_id,
        form_code="DM",
        now=NOW,
        item_values={"BRTHDAT": "1979-03-14", "SEX": "M"},
    )
    page.get_by_role("link", name="Day 1 (baseline, first infusion)").click()
    page.get_by_role("link", name="Laboratory results with CTCAE grades").click()
    page.get_by_label("Test", exact=True).select_option("PLAT")
    page.get_by_label("Unit", exact=True).select_option("10^9/L")
    page.get_by_label("Collected on").fill("2019-08-01")
    page.get_by_label("Result", exact=True).fill("40")
    expected = preview_lab_grade(
        db,
        _actor(db),
        subject_id=pasi.subject_id,
        test_code="PLAT",
        value=Decimal(40),
        unit="10^9/L",
        collected_local="2019-08-01",
    )
    assert expected.grade == 3  # CTCAE v5 platelet count decreased: grade 3 is <50–25 x 10^9/L
    page.get_by_test_id("lab-grade").filter(has_text="grade 3").wait_for()
    assert "125–350 10^9/L" in page.locator("[data-lab-detail]").inner_text()
    assert _serious(axe.run(page)) == []
    assert _fits(page)
    page.screenshot(path=shots / "lab.png", full_page=True)
    page.get_by_role("button", name="Save result").click()
    page.get_by_text("Saved.").wait_for()
    assert page.locator("tr[data-lab] .grade").inner_text() == "grade 3"


def _infusion(page: Page, db: Database, axe: Axe, shots: Path) -> None:
    """The first infusion: the dose shown as the weight is typed is the service's, then recorded with its unit."""
    pasi = _form(db, "day1", "PASI")
    page.get_by_role("link", name="Day 1 (baseline, first infusion)").click()
    page.get_by_role("link", name="Infusion record (computed dose)").click()
    page.get_by_label("Body weight at this visit (kg)").fill("62.5")
    expected = preview_dose(db, _actor(db), subject_id=pasi.subject_id, weight_kg=Decimal("62.5"))
    assert expected.amount == 2_000_000 * Decimal("62.5")  # 2 x 10^6 cells/kg (the protocol's dose)
    page.locator(f"[data-dose-computed][data-value='{expected.amount}']").wait_for()
    values = {
        "Dose given (cells)": "125000000",
        "Infusion started": "2019-08-01T09:30",
        "Infusion ended": "2019-08-01T10:10",
        "Bag number": "BAG-0193",
        "Lot": "L2019-07",
        "Donor code": "D17",
        "Release certificate": "RC-031",
        "Cells in the unit": "1.3e8",
        "Viability (%)": "92",
        "Volume (mL)": "100",
        "Storage temperature (°C)": "4",
        "Prepared at": "2019-08-01T07:00",
        "Expires at": "2019-08-01T15:00",
        "Identity checked by (names, comma-separated)": "nurse.li, dr.wang",
    }
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_text("the dose given is within the tolerance").wait_for()
    assert _serious(axe.run(page)) == []
    assert _fits(page)
    page.screenshot(path=shots / "infusion.png", full_page=True)
    page.get_by_role("button", name="Record infusion").click()
    page.get_by_test_id("infusion-recorded").wait_for()
    assert "Computed dose: 125000000 cells." in page.get_by_test_id("infusion-recorded").inner_text()


def _ointment(page: Page, axe: Axe, shots: Path) -> None:
    """A tube dispensed at day 1 and weighed back: 105 g over 14 days is 52.5 g/week, under the limit."""
    page.get_by_role("link", name="Day 1 (baseline, first infusion)").click()
    page.get_by_role("link", name="Ointment weighing").click()
    page.get_by_label("Tube number").first.fill("T-0101")
    page.get_by_label("Lot", exact=True).fill("C2019-05")
    page.get_by_label("Expiry date").fill("2020-05-31")
    page.get_by_label("Weight dispensed (g)").fill("120")
    page.get_by_label("Dispensed on").fill("2019-08-01")
    page.get_by_role("button", name="Dispense").click()
    page.get_by_text("Tube T-0101 is dispensed.").wait_for()
    page.get_by_label("Tube number").nth(1).fill("T-0101")
    page.get_by_label("Weight returned (g)").fill("15")
    page.get_by_label("Returned on").fill("2019-08-15")
    page.get_by_role("button", name="Record return").click()
    assert page.get_by_test_id("ointment-use").inner_text() == "Tube T-0101: 52.5 g/week on average"
    assert _serious(axe.run(page)) == []
    assert _fits(page)
    page.screenshot(path=shots / "ointment.png", full_page=True)


def _zung(page: Page, server: str, db: Database, axe: Axe, shots: Path) -> None:
    """The Zung SAS at screening, answered on the large buttons; the saved index is the instrument's."""
    page.get_by_role("link", name="Day 1 (baseline, first infusion)").click()
    page.get_by_role("link", name="GZ01-E01").click()
    page.get_by_role("link", name="screening", exact=True).click()
    page.get_by_role("link", name="Zung Self-rating Anxiety Scale").click()
    answers = [1, 2, 1, 1, 2, 1, 1, 2, 3, 1, 1, 2, 3, 1, 2, 1, 3, 1, 3, 1]
    for number, answer in enumerate(answers, start=1):
        page.locator(f"fieldset[data-item=SAS{number:02d}] label.answer").nth(answer - 1).click()
    assert _serious(axe.run(page)) == []
    assert _fits(page)
    page.screenshot(path=shots / "zung-sas.png", full_page=True)
    page.get_by_role("button", name="Save as complete").click()
    page.get_by_text("Saved.", exact=True).wait_for()
    saved = _form(db, "screening", "SAS")
    assert saved.derived is not None
    expected = score_zung_sas(ZungAnswers.model_validate({"items": answers}))
    raw, index = expected.to_json()["raw"], expected.to_json()["index"]  # items 5, 9, 13, 17 and 19 reverse-scored
    assert (saved.derived["raw"], saved.derived["index"]) == (raw, index)
    # the patient sees neither a scoring hint nor the score: the site reads it on the form's review page
    main = page.locator("main").inner_text()
    assert "reverse" not in main
    assert f"{raw}" not in main
    assert page.get_by_test_id("zung-done").is_visible()
    assert page.get_by_text("Question 20", exact=True).is_visible()
    page.get_by_label("Language").select_option("zh-Hans")  # the Chinese interface of the same screens
    page.get_by_text("第20题", exact=True).wait_for()
    assert "反向" not in page.locator("main").inner_text()
    page.get_by_role("link", name="审核与源数据核查").click()
    assert f"raw {raw} · index {index}" in page.get_by_test_id("derived").inner_text()
    page.get_by_role("link", name="筛选", exact=True).first.wait_for()
    pasi = _form(db, "day1", "PASI")
    page.goto(f"{server}/subjects/{pasi.subject_id}/visits/{pasi.visit_id}/forms/PASI")
    page.get_by_role("row", name="头颈部").wait_for()
    assert page.get_by_test_id("pasi-total").inner_text() == "11.1"
    assert _fits(page)
    page.screenshot(path=shots / "pasi-zh.png", full_page=True)
