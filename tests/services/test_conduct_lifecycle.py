"""One subject from consent to the end of study through the services, on SQLite and PostgreSQL, with the audit trail:
screening, screen failure, re-screening, enrollment, three infusions, visits (one out of window), discontinuation with
follow-up, completion.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from dermtrial.conduct import ConMed, ProductUnit
from dermtrial.eligibility.template import template_record
from dermtrial.protocol.builtin import load_builtin
from dermtrial.services import InvalidInput
from dermtrial.services.accountability import dispense_tube, return_tube
from dermtrial.services.conmeds import record_conmed
from dermtrial.services.delegation import delegate_task
from dermtrial.services.deviations import classify_deviation, report_deviation
from dermtrial.services.dosing import Infusion, end_treatment, record_infusion
from dermtrial.services.enrollment import enroll_subject, evaluate_eligibility
from dermtrial.services.forms import save_form
from dermtrial.services.missing_forms import missing_forms
from dermtrial.services.signatures import sign_record
from dermtrial.services.subjects import (
    load_subject,
    reconsent,
    rescreen_of,
    screen_failure_log,
    screen_subject,
    set_study_status,
    treatment_status,
)
from dermtrial.services.uow import unit_of_work
from dermtrial.services.visits import record_assessor, record_visit, schedule_visits
from dermtrial.store.models import Deviation, Exposure, Subject, Visit
from tests.conftest import NOW, PASSWORD, StudySetup
from tests.services.helpers import events

FIRST = dt.date(2019, 8, 1)
PASI = {
    f"{region}.{sign}": value
    for region, signs in {
        "head": (2, 1, 2, 3),
        "upper_limbs": (1, 1, 1, 2),
        "trunk": (2, 2, 2, 2),
        "lower_limbs": (3, 3, 2, 4),
    }.items()
    for sign, value in zip(("erythema", "induration", "desquamation", "area"), signs, strict=True)
}


def _day(study_day: int) -> str:
    return (FIRST + dt.timedelta(days=study_day - 1)).isoformat()


def _unit(bag: str, prepared: str) -> ProductUnit:
    at = dt.datetime.fromisoformat(prepared)
    return ProductUnit(
        unit_id=bag,
        lot="L2019-07",
        donor_code="D17",
        release_certificate="RC-031",
        cell_count=Decimal("1.3e8"),
        viability_percent=Decimal("92"),
        volume_ml=Decimal("100"),
        storage_temperature_c=Decimal("4"),
        prepared_at=at,
        expires_at=at + dt.timedelta(hours=8),
        identity_checked_by=("nurse.li", "dr.wang"),
    )


def _record(candidate: str, **changes: Any) -> dict[str, Any]:
    record = template_record(load_builtin("NCT03392311"))
    record.update(candidate=candidate, consent_date="2019-07-10", baseline_date=FIRST.isoformat(), **changes)
    return record


def test_subject_lifecycle_through_services(study: StudySetup) -> None:
    db = study.db
    pi = study.user("dr.wang", "investigator", "GZ01")
    crc = study.user("nurse.li", "coordinator", "GZ01")
    study.user("dr.chen", "sub-investigator", "GZ01")
    delegate_task(db, pi, site_code="GZ01", username="dr.chen", task="assess", start_date=dt.date(2019, 1, 1), now=NOW)
    n = NOW

    # Screening and screen failure ---------------------------------------------------------------------------------
    first = screen_subject(
        db, crc, site_code="GZ01", consent_version="1.0", consent_signed_local="2019-07-01T09:30", now=n
    )
    with pytest.raises(InvalidInput, match="before the consent"):
        evaluate_eligibility(db, crc, subject_id=first, record=_record("x"), evaluated_local="2019-06-30", now=n)
    _, verdict = evaluate_eligibility(
        db, crc, subject_id=first, record=_record("x", birth_date="1950-01-01"), evaluated_local="2019-07-02", now=n
    )
    assert verdict == "ineligible"
    with pytest.raises(InvalidInput, match="eligible"):
        enroll_subject(db, pi, subject_id=first, enrolled_local="2019-07-03", now=n)
    set_study_status(db, crc, subject_id=first, status="screen-failed", reason="E: age above 65", now=n)
    assert [(f.screening_number, f.reason) for f in screen_failure_log(db, crc)] == [("GZ01-S001", "E: age above 65")]

    # Re-screening, eligibility signed, enrollment -----------------------------------------------------------------
    subject = screen_subject(
        db,
        crc,
        site_code="GZ01",
        consent_version="1.0",
        consent_signed_local="2019-07-10T10:00",
        now=n,
        rescreen_of=first,
    )
    assert rescreen_of(db, crc, subject_id=subject) == first
    evaluation, verdict = evaluate_eligibility(
        db, crc, subject_id=subject, record=_record("y"), evaluated_local="2019-07-20", now=n
    )
    assert verdict == "eligible"
    with pytest.raises(InvalidInput, match="signed"):
        enroll_subject(db, pi, subject_id=subject, enrolled_local="2019-07-25", now=n)
    sign_record(
        db, pi, entity_type="eligibility_evaluation", entity_id=evaluation, password=PASSWORD, meaning="approved", now=n
    )
    number = enroll_subject(db, pi, subject_id=subject, enrolled_local="2019-07-25", now=n)
    assert number == "GZ01-E01"
    reconsent(db, crc, subject_id=subject, consent_version="2.0", signed_local="2019-07-28", now=n)
    with unit_of_work(db, actor=crc, now=n) as work:
        schedule_visits(work, load_subject(work, subject, "form.write"))

    # Visits and three infusions ------------------------------------------------------------------------------------
    record_visit(db, crc, subject_id=subject, visit_code="day1", visit_local=_day(1), now=n)
    dose = Decimal(125_000_000)
    for code, study_day in (("day1", 1), ("week4", 29), ("week8", 57)):
        if code != "day1":
            record_visit(db, crc, subject_id=subject, visit_code=code, visit_local=_day(study_day), now=n)
        infusion = Infusion(
            visit_code=code,
            weight_kg=Decimal("62.5"),
            dose_given=dose,
            started_local=f"{_day(study_day)}T10:00",
            ended_local=f"{_day(study_day)}T10:45",
            unit=_unit(f"BAG-{code}", f"{_day(study_day)}T08:00"),
            vitals_before={"SYSBP": "118", "PULSE": "72"},
            vitals_after={"SYSBP": "121", "PULSE": "75"},
        )
        recorded = record_infusion(db, crc, subject_id=subject, infusion=infusion, now=n)
        assert (recorded.computed_dose, recorded.within_tolerance, recorded.problems) == (dose, True, [])
    with db.reading() as session:
        assert treatment_status(session, subject) == ("on-treatment", None)
    missing = {(r.visit, r.form) for r in missing_forms(db, crc, now=n)}
    assert not {("day1", "INF"), ("week4", "INF"), ("week8", "INF")} & missing  # filled from the infusions
    assert ("day1", "PASI") in missing

    # An assessment: typed by the coordinator, assessed by the delegated sub-investigator, then by the PI.
    with db.reading() as session:
        visits = {v.visit_code: v.id for v in session.scalars(select(Visit).where(Visit.subject_id == subject))}
    pasi_1 = save_form(
        db,
        crc,
        subject_id=subject,
        form_code="PASI",
        item_values=PASI,
        now=n,
        status="complete",
        visit_id=visits["day1"],
    )
    assert (
        record_assessor(db, crc, form_id=pasi_1.form_id, assessor_username="dr.chen", now=n).rater_changed_from is None
    )
    pasi_2 = save_form(
        db,
        crc,
        subject_id=subject,
        form_code="PASI",
        item_values=PASI,
        now=n,
        status="complete",
        visit_id=visits["week4"],
    )
    changed = record_assessor(db, crc, form_id=pasi_2.form_id, assessor_username="dr.wang", now=n)
    assert changed.rater_changed_from == "dr.chen"
    with pytest.raises(Exception, match="not delegated"):
        record_assessor(db, crc, form_id=pasi_2.form_id, assessor_username="nurse.li", now=n)

    # Week 2 one day late (study day 19 > 18): recorded, out of window, a deviation.
    _, where = record_visit(db, crc, subject_id=subject, visit_code="week2", visit_local=_day(19), now=n)
    assert where == "late"

    # Ointment: 200.2 g over 14 days is 100.1 g/week, above the label limit.
    dispense_tube(
        db,
        crc,
        subject_id=subject,
        tube_id="T1",
        lot="C19",
        expiry=dt.date(2020, 6, 30),
        weight_g=Decimal("250.2"),
        dispensed_local=_day(1),
        now=n,
    )
    returned = return_tube(
        db, crc, subject_id=subject, tube_id="T1", weight_g=Decimal("50.0"), returned_local=_day(15), now=n
    )
    assert (returned.use.grams_per_week, returned.use.above_limit) == (Decimal("100.1"), True)

    # Conmeds: the study ointment is exempt; a topical steroid during the study is a deviation.
    _, own = record_conmed(
        db,
        crc,
        subject_id=subject,
        med=ConMed("Calcipotriol ointment", "topical_vitamin_d_analogue", _day(1), None, atc_code="D05AX02"),
        now=n,
    )
    _, steroid = record_conmed(
        db, crc, subject_id=subject, med=ConMed("clobetasol", "topical_corticosteroid", "2019-09", "2019-09"), now=n
    )
    assert (own.prohibited, steroid.prohibited) == (False, True)

    # A manual deviation, classified by a named person, then re-classified.
    manual = report_deviation(
        db,
        crc,
        subject_id=subject,
        category="procedure",
        description="week 4 labs drawn after the infusion",
        major=False,
        occurred_local=_day(29),
        now=n,
    )
    classify_deviation(db, pi, deviation_id=manual, major=True, reason="labs are the safety baseline", now=n)

    # Discontinuation with follow-up, then completion -----------------------------------------------------------------
    end_treatment(
        db,
        pi,
        subject_id=subject,
        status="discontinued",
        last_treatment_local=_day(60),
        reason="ointment stopped for skin irritation",
        now=n,
    )
    with db.reading() as session:
        assert treatment_status(session, subject) == ("discontinued", "ointment stopped for skin irritation")
    with pytest.raises(InvalidInput, match="no infusion"):
        record_infusion(db, crc, subject_id=subject, infusion=replace(infusion, visit_code="week8"), now=n)
    set_study_status(db, pi, subject_id=subject, status="follow-up", reason="off treatment, followed to week 24", now=n)
    record_visit(db, crc, subject_id=subject, visit_code="week24", visit_local=_day(169), now=n)
    set_study_status(db, pi, subject_id=subject, status="completed", reason="week 24 done", now=n)

    # The stored state and the audit trail ----------------------------------------------------------------------------
    with db.reading() as session:
        stored = session.get_one(Subject, subject)
        assert (stored.status, stored.subject_number, stored.screening_number) == ("completed", "GZ01-E01", "GZ01-S002")
        infusions = session.scalars(select(Exposure).where(Exposure.kind == "administered")).all()
        assert [e.custody["computed_dose"] for e in infusions] == ["125000000"] * 3  # type: ignore[index]
        deviations = {(d.category, d.major, d.source) for d in session.scalars(select(Deviation))}
        window = session.scalars(select(Deviation.description).where(Deviation.category == "visit-window")).one()
    assert window == "week2 on 2019-08-19 (study day 19) is 1 day(s) after its window 2019-08-12 – 2019-08-18"
    assert deviations == {("visit-window", False, "rule"), ("conmed", True, "rule"), ("procedure", True, "manual")}
    trail = events(db, subject_id=subject)
    statuses = [
        (e["new_value"], e["reason"]) for e in trail if e["entity_type"] == "subject" and e["field"] == "status"
    ]
    assert statuses == [
        ('"enrolled"', "enrolled: eligible and signed"),
        ('"follow-up"', "off treatment, followed to week 24"),
        ('"completed"', "week 24 done"),
    ]
    kinds = {e["event_type"] for e in trail}
    assert {
        "create",
        "update",
        "rescreen",
        "assessment",
        "rater-change",
        "safety-alert",
        "deviation-classified",
    } <= kinds
    classified = [e for e in trail if e["event_type"] == "deviation-classified"]
    assert [e["actor_username"] for e in classified] == ["nurse.li", "dr.wang"]
