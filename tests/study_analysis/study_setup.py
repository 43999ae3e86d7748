"""A small study carried through the real services, with every value the analysis tests check by hand.

Five people screened at GZ01 (first treatment 2019-08-01 = study day 1 for everyone treated):

======  ========  ==================================================================================================
label   number    what happens
======  ========  ==================================================================================================
S       GZ01-S001 screen failure (born 1950: above the age limit)
A       GZ01-E01  3 infusions (day 1, 29, 57; 125,000,000 cells each), PASI 24.0 → 6.0 on day 85 (75 %), BSA 20 →
                  5 %; tube 250.2 g out day 1, 50.0 g back day 15 (200.2 g, 100.1 g/week: above the limit);
                  headache grade 2 the day before day 1 (not treatment-emergent), infusion reaction grade 1 on day 1
                  (admsc POSSIBLE); PLAT 200 → 100 → 74.9 (grade 0 → 1 → 2); PASI rater changes once; completed
B       GZ01-E02  1 infusion; PASI 24.0 → 12.0 on day 84 (50 %); a major deviation (out of the per-protocol set);
                  pruritus grade 1 (calcipotriol PROBABLE) and grade 3 (not assessed); hypercalcaemia grade 3,
                  serious, one SAE report (calcipotriol PROBABLE, admsc NOT_RELATED); PLAT 200 → 210 (0 → 0)
C       GZ01-E03  never infused; a tube of 100.0 g dispensed on 2019-08-05 and not returned (safety set only);
                  dry skin grade 1 on 2019-08-06 (not assessed); withdrew consent
D       GZ01-E04  1 infusion; PASI 20.0 at day 1, week 12 on day 90 (outside 82–88: missing for the primary);
                  treatment discontinued ("lack of efficacy", 2019-10-01)
======  ========  ==================================================================================================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from dermtrial.services import Actor
from dermtrial.services.accountability import dispense_tube, return_tube
from dermtrial.services.delegation import delegate_task
from dermtrial.services.deviations import report_deviation
from dermtrial.services.dosing import Infusion, InfusionRecorded, end_treatment, record_infusion
from dermtrial.services.enrollment import enroll_subject, evaluate_eligibility
from dermtrial.services.forms import save_form
from dermtrial.services.reference_ranges import add_reference_range
from dermtrial.services.safety_ae import AdverseEventInput, assess_causality, record_adverse_event
from dermtrial.services.safety_labs import record_lab_result
from dermtrial.services.safety_sae import report_sae
from dermtrial.services.signatures import sign_record
from dermtrial.services.subjects import load_subject, screen_subject, set_study_status
from dermtrial.services.uow import unit_of_work
from dermtrial.services.visits import record_assessor, record_visit, schedule_visits
from dermtrial.store.models import Visit
from tests.conftest import NOW, PASSWORD, StudySetup
from tests.services.conduct_setup import eligible_record, on_study_day, product_unit

DOSE = Decimal(125_000_000)
ZERO_REGIONS = {
    f"{region}.{part}": 0
    for region in ("head", "upper_limbs", "trunk")
    for part in ("erythema", "induration", "desquamation", "area")
}


def pasi_items(erythema: int, induration: int, desquamation: int, area: int) -> dict[str, int]:
    """PASI items with only the lower limbs affected: 0.4 × (E + I + D) × area score."""
    return ZERO_REGIONS | {
        "lower_limbs.erythema": erythema,
        "lower_limbs.induration": induration,
        "lower_limbs.desquamation": desquamation,
        "lower_limbs.area": area,
    }


PASI_24 = pasi_items(4, 3, 3, 6)  # 0.4 × 10 × 6 = 24.0
PASI_20 = pasi_items(4, 3, 3, 5)  # 0.4 × 10 × 5 = 20.0
PASI_12 = pasi_items(2, 2, 1, 6)  # 0.4 × 5 × 6 = 12.0
PASI_6 = pasi_items(2, 2, 1, 3)  # 0.4 × 5 × 3 = 6.0
PASI_4_8 = pasi_items(1, 1, 1, 4)  # 0.4 × 3 × 4 = 4.8


@dataclass
class SmallStudy:
    """The study of the module docstring: subject ids by label and the people who entered it."""

    setup: StudySetup
    ids: dict[str, int]
    pi: Actor
    crc: Actor
    statistician: Actor


def _enroll(study: StudySetup, crc: Actor, pi: Actor) -> int:
    db = study.db
    subject = screen_subject(
        db, crc, site_code="GZ01", consent_version="1.0", consent_signed_local="2019-07-10T10:00", now=NOW
    )
    evaluation, verdict = evaluate_eligibility(
        db, crc, subject_id=subject, record=eligible_record(), evaluated_local="2019-07-20", now=NOW
    )
    assert verdict == "eligible"
    sign_record(
        db, pi, entity_type="eligibility_evaluation", entity_id=evaluation, password=PASSWORD, meaning="approved",
        now=NOW,
    )  # fmt: skip
    enroll_subject(db, pi, subject_id=subject, enrolled_local="2019-07-25", now=NOW)
    with unit_of_work(db, actor=crc, now=NOW) as work:
        schedule_visits(work, load_subject(work, subject, "form.write"))
    return subject


def _visits(study: StudySetup, subject: int) -> dict[str, int]:
    with study.db.reading() as session:
        return {v.visit_code: v.id for v in session.scalars(select(Visit).where(Visit.subject_id == subject))}


def _visit(study: StudySetup, crc: Actor, subject: int, code: str, day: int) -> None:
    record_visit(study.db, crc, subject_id=subject, visit_code=code, visit_local=on_study_day(day), now=NOW)


def _infuse(
    study: StudySetup, crc: Actor, subject: int, code: str, day: int, reactions: list[str] | None = None
) -> InfusionRecorded:
    infusion = Infusion(
        visit_code=code,
        weight_kg=Decimal("62.5"),
        dose_given=DOSE,
        started_local=f"{on_study_day(day)}T10:00",
        ended_local=f"{on_study_day(day)}T10:45",
        unit=product_unit(f"BAG-{subject}-{code}", f"{on_study_day(day)}T08:00"),
        reactions=reactions or [],
    )
    return record_infusion(study.db, crc, subject_id=subject, infusion=infusion, now=NOW)


def _form(study: StudySetup, crc: Actor, subject: int, code: str, visit: str, values: dict[str, object]) -> int:
    saved = save_form(
        study.db, crc, subject_id=subject, form_code=code, item_values=values, now=NOW, status="complete",
        visit_id=_visits(study, subject)[visit],
    )  # fmt: skip
    return saved.form_id


def _event(study: StudySetup, actor: Actor, subject: int, **values: object) -> int:
    event = AdverseEventInput(**values)  # type: ignore[arg-type]
    return record_adverse_event(study.db, actor, subject_id=subject, event=event, now=NOW)


def _causality(study: StudySetup, pi: Actor, event: int, admsc: str, calcipotriol: str) -> None:
    assess_causality(
        study.db, pi, event_id=event, relatedness={"admsc": admsc, "calcipotriol": calcipotriol}, expected_version=1,
        now=NOW,
    )  # fmt: skip


def _lab(study: StudySetup, crc: Actor, subject: int, value: str, day: str) -> None:
    record_lab_result(
        study.db, crc, subject_id=subject, test_code="PLAT", value=Decimal(value), unit="10^9/L", collected_local=day,
        now=NOW,
    )  # fmt: skip


def build_small_study(study: StudySetup) -> SmallStudy:
    """Build the study of the module docstring through the services."""
    db = study.db
    pi = study.user("dr.wang", "investigator", "GZ01")
    crc = study.user("nurse.li", "coordinator", "GZ01")
    study.user("dr.chen", "sub-investigator", "GZ01")
    statistician = study.user("stat.zhao", "statistician", None)
    delegate_task(db, pi, site_code="GZ01", username="dr.chen", task="assess", start_date=dt.date(2019, 1, 1), now=NOW)
    add_reference_range(
        db, pi, site_code="GZ01", laboratory="GPHCM central lab", test_code="PLAT", unit="10^9/L", lower="125",
        upper="350", effective_from=dt.date(2019, 1, 1), now=NOW,
    )  # fmt: skip

    failed = screen_subject(
        db, crc, site_code="GZ01", consent_version="1.0", consent_signed_local="2019-07-01T09:30", now=NOW
    )
    _, verdict = evaluate_eligibility(
        db, crc, subject_id=failed, record=eligible_record(birth_date="1950-01-01"), evaluated_local="2019-07-02",
        now=NOW,
    )  # fmt: skip
    assert verdict == "ineligible"
    set_study_status(db, crc, subject_id=failed, status="screen-failed", reason="age above the limit", now=NOW)

    ids = {"S": failed}
    for label in ("A", "B", "C", "D"):
        ids[label] = _enroll(study, crc, pi)
    a, b, c, d = ids["A"], ids["B"], ids["C"], ids["D"]
    for subject in (a, b):
        save_form(db, crc, subject_id=subject, form_code="DM", item_values={"BRTHDAT": "1980-02-29", "SEX": "F",
                  "HEIGHT": "162.5"}, now=NOW)  # fmt: skip
        _lab(study, crc, subject, "200", "2019-07-30")

    # A: three infusions, PASI and BSA at day 1 and week 12, one tube, two AEs, labs, a rater change, completed.
    _visit(study, crc, a, "day1", 1)
    _infuse(study, crc, a, "day1", 1, reactions=["mild flushing"])
    for code, day in (("week4", 29), ("week8", 57)):
        _visit(study, crc, a, code, day)
        _infuse(study, crc, a, code, day)
    _visit(study, crc, a, "week12", 85)
    first = _form(study, crc, a, "PASI", "day1", PASI_24)
    last = _form(study, crc, a, "PASI", "week12", PASI_6)
    record_assessor(db, crc, form_id=first, assessor_username="dr.wang", now=NOW)
    assert record_assessor(db, crc, form_id=last, assessor_username="dr.chen", now=NOW).rater_changed_from
    _form(study, crc, a, "BSA", "day1", {"percent": 20})
    _form(study, crc, a, "BSA", "week12", {"percent": 5})
    dispense_tube(
        db, crc, subject_id=a, tube_id="T1", lot="C19", expiry=dt.date(2020, 6, 30), weight_g=Decimal("250.2"),
        dispensed_local=on_study_day(1), now=NOW,
    )  # fmt: skip
    return_tube(db, crc, subject_id=a, tube_id="T1", weight_g=Decimal("50.0"), returned_local=on_study_day(15), now=NOW)
    _event(study, crc, a, verbatim="headache", term="Headache", start="2019-07-31", grade=2)
    reaction = _event(study, crc, a, verbatim="flushing at infusion", term="Infusion related reaction",
                      start="2019-08-01", grade=1)  # fmt: skip
    _causality(study, pi, reaction, "POSSIBLE", "NOT_RELATED")
    _lab(study, crc, a, "100", "2019-08-15")
    _lab(study, crc, a, "74.9", "2019-08-29")
    set_study_status(db, pi, subject_id=a, status="completed", reason="week 24 done", now=NOW)

    # B: one infusion, PASI 24 → 12 on day 84, a major deviation, pruritus twice, a serious hypercalcaemia.
    _visit(study, crc, b, "day1", 1)
    _infuse(study, crc, b, "day1", 1)
    _visit(study, crc, b, "week12", 84)
    _form(study, crc, b, "PASI", "day1", PASI_24)
    _form(study, crc, b, "PASI", "week12", PASI_12)
    report_deviation(
        db, crc, subject_id=b, category="procedure", description="week 4 labs drawn after the infusion", major=True,
        occurred_local=on_study_day(29), now=NOW,
    )  # fmt: skip
    itch = _event(study, crc, b, verbatim="itching", term="Pruritus", start="2019-08-10", grade=1)
    _causality(study, pi, itch, "UNLIKELY", "PROBABLE")
    _event(study, crc, b, verbatim="severe itching", term="Pruritus", start="2019-09-01", grade=3)
    calcium = _event(study, crc, b, verbatim="raised calcium, admitted", term="Hypercalcemia", start="2019-09-10",
                     grade=3, seriousness=("hospitalisation",))  # fmt: skip
    _causality(study, pi, calcium, "NOT_RELATED", "PROBABLE")
    report_sae(db, crc, event_id=calcium, narrative="Admitted for fluids.", aware_local="2019-09-11T09:00", now=NOW)
    _lab(study, crc, b, "210", "2019-08-15")

    # C: never infused, a tube dispensed, a rash, withdrew consent.
    dispense_tube(
        db, crc, subject_id=c, tube_id="T2", lot="C19", expiry=dt.date(2020, 6, 30), weight_g=Decimal("100.0"),
        dispensed_local="2019-08-05", now=NOW,
    )  # fmt: skip
    _event(study, crc, c, verbatim="dry skin on arms", term="Dry skin", start="2019-08-06", grade=1)
    set_study_status(db, pi, subject_id=c, status="withdrew-consent", reason="moved away", now=NOW)

    # D: one infusion, week 12 on day 90 (outside 82–88), treatment discontinued.
    _visit(study, crc, d, "day1", 1)
    _infuse(study, crc, d, "day1", 1)
    _visit(study, crc, d, "week12", 90)
    _form(study, crc, d, "PASI", "day1", PASI_20)
    _form(study, crc, d, "PASI", "week12", PASI_4_8)
    end_treatment(db, pi, subject_id=d, status="discontinued", last_treatment_local="2019-10-01",
                  reason="lack of efficacy", now=NOW)  # fmt: skip
    return SmallStudy(study, ids, pi, crc, statistician)
