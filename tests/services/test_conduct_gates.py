"""The gates of study conduct through the services: consent first, enrollment, site scope, dose tolerance, chain of
custody, missing and overdue forms."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from dermtrial.services import Conflict, InvalidInput, PermissionDenied
from dermtrial.services.dosing import Infusion, record_infusion
from dermtrial.services.enrollment import enroll_subject, evaluate_eligibility
from dermtrial.services.form_status import mark_form_not_done
from dermtrial.services.locks import RecordLocked, lock_record
from dermtrial.services.missing_forms import missing_forms
from dermtrial.services.signatures import sign_record
from dermtrial.services.subjects import screen_subject
from dermtrial.services.visits import record_unscheduled_visit, record_visit
from dermtrial.store.models import Deviation, Subject, Visit
from tests.conftest import NOW, PASSWORD, StudySetup
from tests.services.conduct_setup import eligible_record, enrolled, on_study_day, product_unit
from tests.services.helpers import audit_count


def _infusion(**changes: object) -> Infusion:
    base = Infusion(
        visit_code="day1",
        weight_kg=Decimal("62.5"),
        dose_given=Decimal(125_000_000),
        started_local=f"{on_study_day(1)}T10:00",
        ended_local=f"{on_study_day(1)}T10:45",
        unit=product_unit("BAG-1", f"{on_study_day(1)}T08:00"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.requirement("CLIN-CONSENT-01")
def test_no_visit_dated_before_consent_and_nothing_written(study: StudySetup) -> None:
    case = enrolled(study)
    before = audit_count(study.db)
    with pytest.raises(InvalidInput, match="before the consent"):
        record_visit(
            study.db, case.crc, subject_id=case.subject_id, visit_code="day1", visit_local="2019-07-09", now=NOW
        )
    assert audit_count(study.db) == before


def test_a_user_of_another_site_cannot_screen_here(study: StudySetup) -> None:
    other = study.user("nurse.zhou", "coordinator", "SH02")
    with pytest.raises(PermissionDenied):
        screen_subject(
            study.db, other, site_code="GZ01", consent_version="1.0", consent_signed_local="2019-07-10", now=NOW
        )


@pytest.mark.requirement("CLIN-ENROL-01")
def test_enrollment_refused_when_the_study_is_full(study: StudySetup) -> None:
    pi = study.user("dr.wang", "investigator", "GZ01")
    with study.db.writing() as session:  # eight subjects already enrolled (the planned count)
        for seq in range(1, 9):
            session.add(
                Subject(
                    study_id=study.study_id,
                    site_id=study.sites["GZ01"],
                    screening_number=f"X{seq}",
                    subject_number=f"GZ01-E{seq:02d}",
                    status="enrolled",
                    created_at=NOW,
                )
            )
        session.commit()
    subject = screen_subject(
        study.db, pi, site_code="GZ01", consent_version="1.0", consent_signed_local="2019-07-10", now=NOW
    )
    evaluation, _ = evaluate_eligibility(
        study.db, pi, subject_id=subject, record=eligible_record(), evaluated_local="2019-07-20", now=NOW
    )
    sign_record(
        study.db,
        pi,
        entity_type="eligibility_evaluation",
        entity_id=evaluation,
        password=PASSWORD,
        meaning="approved",
        now=NOW,
    )
    with pytest.raises(Conflict, match="full: 8 of 8"):
        enroll_subject(study.db, pi, subject_id=subject, enrolled_local="2019-07-25", now=NOW)


@pytest.mark.requirement("CLIN-DOSE-02", "CLIN-CUSTODY-01")
def test_dose_off_tolerance_and_custody_problems_are_deviations(study: StudySetup) -> None:
    case = enrolled(study)
    record_visit(
        study.db, case.crc, subject_id=case.subject_id, visit_code="day1", visit_local=on_study_day(1), now=NOW
    )
    late_unit = product_unit("BAG-1", f"{on_study_day(1)}T03:00", identity_checked_by=("nurse.li",))
    recorded = record_infusion(
        study.db,
        case.crc,
        subject_id=case.subject_id,
        infusion=_infusion(dose_given=Decimal(140_000_000), unit=late_unit),  # +12 %
        now=NOW,
    )
    assert recorded.within_tolerance is False
    assert len(recorded.problems) == 2  # 420 minutes after preparation; one person checked
    with study.db.reading() as session:
        found = sorted((d.category, d.major) for d in session.scalars(select(Deviation)))
    assert found == [("custody", True), ("custody", True), ("dosing", True)]


def test_infusion_only_at_a_scheduled_infusion_visit(study: StudySetup) -> None:
    case = enrolled(study)
    with pytest.raises(InvalidInput, match="day1, week4, week8"):
        record_infusion(study.db, case.crc, subject_id=case.subject_id, infusion=_infusion(visit_code="week2"), now=NOW)


def test_missing_and_overdue_forms(study: StudySetup) -> None:
    case = enrolled(study)
    record_visit(
        study.db, case.crc, subject_id=case.subject_id, visit_code="day1", visit_local=on_study_day(1), now=NOW
    )
    rows = missing_forms(study.db, case.crc, now=NOW, site_code="GZ01")
    day1 = [r.form for r in rows if r.visit == "day1"]
    assert day1 == ["VS", "WT", "PREG", "PASI", "BSA", "SPGA", "DLQI", "ITCH", "INF", "OINT"]
    assert all(r.overdue for r in rows)  # NOW is years after every window
    assert {r.visit for r in rows} == {"screening", "day1", "week2", "week4", "week8", "week12", "week24"}
    soon = dt.datetime(2019, 8, 2, 2, 0, tzinfo=dt.UTC)  # the day after day 1 at the site
    open_rows = missing_forms(study.db, case.crc, now=soon, site_code="GZ01")
    assert {r.visit for r in open_rows} == {"screening", "day1"}


@pytest.mark.requirement("REG-INTEG-06")
def test_a_locked_subject_takes_no_new_conduct_record(study: StudySetup) -> None:
    case = enrolled(study)
    manager = study.user("dee", "data-manager", None)
    lock_record(study.db, manager, level="subject", entity_id=case.subject_id, now=NOW, reason="interim cut")
    before = audit_count(study.db)
    with pytest.raises(RecordLocked):
        record_visit(
            study.db, case.crc, subject_id=case.subject_id, visit_code="day1", visit_local=on_study_day(1), now=NOW
        )
    assert audit_count(study.db) == before


def test_a_form_marked_not_done_is_no_longer_missing(study: StudySetup) -> None:
    case = enrolled(study)
    record_visit(
        study.db, case.crc, subject_id=case.subject_id, visit_code="day1", visit_local=on_study_day(1), now=NOW
    )
    with pytest.raises(InvalidInput, match="required"):
        mark_form_not_done(
            study.db, case.crc, subject_id=case.subject_id, visit_code="day1", form_code="DLQI", reason=" ", now=NOW
        )
    mark_form_not_done(
        study.db, case.crc, subject_id=case.subject_id, visit_code="day1", form_code="DLQI", reason="no translation",
        now=NOW,
    )  # fmt: skip
    day1 = [r.form for r in missing_forms(study.db, case.crc, now=NOW) if r.visit == "day1"]
    assert "DLQI" not in day1
    assert "PASI" in day1


def test_unscheduled_visits_get_running_repeat_numbers_and_a_reason(study: StudySetup) -> None:
    case = enrolled(study)
    args = {"subject_id": case.subject_id, "now": NOW}
    first = record_unscheduled_visit(study.db, case.crc, visit_local="2019-08-05", reason="AE follow-up", **args)
    second = record_unscheduled_visit(study.db, case.crc, visit_local="2019-08-09", reason="repeat calcium", **args)
    with study.db.reading() as session:
        repeats = [session.get_one(Visit, v).repeat for v in (first, second)]
    assert repeats == [1, 2]
    with pytest.raises(InvalidInput, match="reason"):
        record_unscheduled_visit(study.db, case.crc, visit_local="2019-08-09", reason="", **args)
