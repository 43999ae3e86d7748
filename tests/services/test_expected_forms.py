"""Expected and missing forms from what the services store: laboratory results stand for LB, tubes for OINT, the
consent for IC, the EOT form saved without a visit counts at week 12, PREG only where its ``applies_when`` holds (or
cannot be decided yet); the missing-forms report and the subject matrix agree."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from dermtrial.services.accountability import dispense_tube, return_tube
from dermtrial.services.dosing import end_treatment
from dermtrial.services.form_status import mark_form_not_done
from dermtrial.services.forms import save_form
from dermtrial.services.matrix import subject_matrix
from dermtrial.services.missing_forms import missing_forms
from dermtrial.services.safety_labs import record_lab_result
from dermtrial.services.visits import record_visit
from dermtrial.store.models import Visit
from tests.conftest import NOW, StudySetup
from tests.services.conduct_setup import Enrolled, enrolled, on_study_day


def _missing(study: StudySetup, case: Enrolled, visit: str) -> list[str]:
    """The forms listed missing at ``visit`` (once day 1 is recorded, NOW is years after every window, so every
    visit is listed; before, only the visits that took place)."""
    return [r.form for r in missing_forms(study.db, case.crc, now=NOW) if r.visit == visit]


def _visits(study: StudySetup, case: Enrolled) -> dict[str, int]:
    with study.db.reading() as session:
        rows = session.execute(select(Visit.visit_code, Visit.id).where(Visit.subject_id == case.subject_id)).all()
    return {row.visit_code: row.id for row in rows}


def _visit(study: StudySetup, case: Enrolled, code: str, study_day: int) -> int:
    visit_id, _ = record_visit(
        study.db, case.crc, subject_id=case.subject_id, visit_code=code, visit_local=on_study_day(study_day), now=NOW
    )
    return visit_id


def _lab(study: StudySetup, case: Enrolled, day: str, visit_id: int | None) -> None:
    record_lab_result(
        study.db, case.crc, subject_id=case.subject_id, test_code="CA", value=Decimal("2.30"), unit="mmol/L",
        collected_local=f"{day}T08:00", now=NOW, visit_id=visit_id,
    )  # fmt: skip


def test_lab_results_recorded_at_a_visit_stand_for_its_LB_form(study: StudySetup) -> None:
    case = enrolled(study)
    _visit(study, case, "day1", 1)  # places the windows: every later visit is overdue at NOW
    week2 = _visit(study, case, "week2", 15)
    assert "LB" in _missing(study, case, "week2")
    _lab(study, case, on_study_day(15), week2)
    assert "LB" not in _missing(study, case, "week2")
    assert "LB" in _missing(study, case, "week4")  # another visit's labs are still missing


def test_a_lab_result_without_a_visit_counts_on_the_day_of_the_visit_only(study: StudySetup) -> None:
    case = enrolled(study)
    _visit(study, case, "week4", 29)
    _lab(study, case, on_study_day(28), None)  # the day before the visit
    assert "LB" in _missing(study, case, "week4")
    _lab(study, case, on_study_day(29), None)  # the day of the visit
    assert "LB" not in _missing(study, case, "week4")


def _dispense(study: StudySetup, case: Enrolled, tube: str, study_day: int) -> None:
    dispense_tube(
        study.db, case.crc, subject_id=case.subject_id, tube_id=tube, lot="CAL-01",
        expiry=NOW.date(), weight_g=Decimal("130.0"), dispensed_local=f"{on_study_day(study_day)}T09:00", now=NOW,
    )  # fmt: skip


def test_tubes_dispensed_and_weighed_on_return_stand_for_the_OINT_form(study: StudySetup) -> None:
    case = enrolled(study)
    _visit(study, case, "day1", 1)
    _visit(study, case, "week2", 15)
    assert {"day1", "week2"} <= {r.visit for r in missing_forms(study.db, case.crc, now=NOW) if r.form == "OINT"}
    _dispense(study, case, "T-1", 1)
    assert "OINT" not in _missing(study, case, "day1")
    assert "OINT" in _missing(study, case, "week2")  # nothing weighed yet on week 2's day
    return_tube(
        study.db, case.crc, subject_id=case.subject_id, tube_id="T-1", weight_g=Decimal("80.0"),
        returned_local=f"{on_study_day(15)}T09:00", now=NOW,
    )  # fmt: skip
    assert "OINT" not in _missing(study, case, "week2")
    assert "OINT" in _missing(study, case, "week4")  # no tube on week 4's day


def test_the_consent_taken_at_screening_stands_for_the_IC_form(study: StudySetup) -> None:
    case = enrolled(study)  # screened with its consent (screen_subject), no IC form entered
    _visit(study, case, "day1", 1)
    screening = _missing(study, case, "screening")
    assert "IC" not in screening
    assert "DM" in screening  # the forms nobody entered are still missing


@pytest.mark.parametrize(
    ("dm", "expected"),
    [
        (None, True),  # demographics not entered: cannot be decided, so expected (conservative)
        ({"SEX": "M"}, False),  # a man
        ({"SEX": "F", "CHILDBEAR": False}, False),  # a woman not of child-bearing potential
        ({"SEX": "F", "CHILDBEAR": True}, True),  # a woman of child-bearing potential
        ({"SEX": "F"}, True),  # child-bearing potential not answered yet: expected
    ],
)
def test_the_pregnancy_test_is_expected_where_its_applies_when_holds(
    study: StudySetup, dm: dict[str, Any] | None, expected: bool
) -> None:
    case = enrolled(study)
    _visit(study, case, "day1", 1)
    if dm is not None:
        save_form(
            study.db, case.crc, subject_id=case.subject_id, form_code="DM", now=NOW, status="complete",
            item_values={"BRTHDAT": "1980-05-01", **dm}, visit_id=_visits(study, case)["screening"],
        )  # fmt: skip
    missing = {(r.visit, r.form) for r in missing_forms(study.db, case.crc, now=NOW)}
    for visit in ("screening", "day1", "week8", "week12"):  # every visit that lists PREG
        assert ((visit, "PREG") in missing) is expected


def test_a_done_pregnancy_test_of_a_woman_of_child_bearing_potential_is_not_missing(study: StudySetup) -> None:
    case = enrolled(study)
    day1 = _visit(study, case, "day1", 1)
    visits = _visits(study, case)
    save_form(
        study.db, case.crc, subject_id=case.subject_id, form_code="DM", now=NOW, status="complete",
        item_values={"BRTHDAT": "1990-05-01", "SEX": "F", "CHILDBEAR": True}, visit_id=visits["screening"],
    )  # fmt: skip
    save_form(
        study.db, case.crc, subject_id=case.subject_id, form_code="PREG", now=NOW, status="complete", visit_id=day1,
        item_values={"PRGDAT": on_study_day(1), "PRGRES": "NEGATIVE", "CONTRA": True, "CONTRAM": "IUD"},
    )  # fmt: skip
    assert "PREG" not in _missing(study, case, "day1")
    assert "PREG" in _missing(study, case, "week8")  # the next test is still due


def test_the_end_of_treatment_form_saved_without_a_visit_counts_at_week_12(study: StudySetup) -> None:
    case = enrolled(study)
    _visit(study, case, "day1", 1)
    assert "EOT" in _missing(study, case, "week12")
    end_treatment(
        study.db, case.pi, subject_id=case.subject_id, status="discontinued", last_treatment_local=on_study_day(1),
        now=NOW, reason="withdrew consent",
    )  # fmt: skip
    assert "EOT" not in _missing(study, case, "week12")


def test_the_matrix_and_the_report_agree_on_a_visit_kept_by_labs_and_tubes(study: StudySetup) -> None:
    case = enrolled(study)
    _visit(study, case, "day1", 1)
    week2 = _visit(study, case, "week2", 15)
    column = [code for code, _ in subject_matrix(study.db, case.crc, now=NOW).visits].index("week2")

    def cell() -> str:
        (row,) = subject_matrix(study.db, case.crc, now=NOW).rows
        return row.cells[column]

    assert cell() == "overdue"
    for code in ("VS", "PASI", "BSA", "SPGA", "ITCH"):
        mark_form_not_done(
            study.db, case.crc, subject_id=case.subject_id, visit_code="week2", form_code=code, reason="not assessed",
            now=NOW,
        )  # fmt: skip
    assert _missing(study, case, "week2") == ["LB", "OINT"]
    assert cell() == "overdue"
    _lab(study, case, on_study_day(15), week2)
    _dispense(study, case, "T-2", 15)
    assert _missing(study, case, "week2") == []
    assert cell() == "complete"  # records of their own count as done
