"""Laboratory results through the services: SI conversion, the site's reference range, the CTCAE grade stored beside
the value with its criteria version, baseline shift and grade alerts audited; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dermtrial.services import PermissionDenied
from dermtrial.services.errors import InvalidInput
from dermtrial.services.forms import save_form
from dermtrial.services.reference_ranges import add_reference_range
from dermtrial.services.safety_labs import record_lab_result
from dermtrial.services.visits import record_visit
from dermtrial.store.models import LabResult
from tests.conftest import NOW, StudySetup
from tests.services.conduct_setup import FIRST, enrolled
from tests.services.helpers import count, events


def _ranges(study: StudySetup) -> None:
    pi = study.user("dr.lab", "investigator", "GZ01")
    for test, unit, lower, upper in (("PLAT", "10^9/L", "125", "350"), ("CA", "mmol/L", "2.11", "2.52")):
        add_reference_range(
            study.db, pi, site_code="GZ01", laboratory="GPHCM central lab", test_code=test, unit=unit,
            lower=lower, upper=upper, effective_from=dt.date(2019, 1, 1), now=NOW,
        )  # fmt: skip


@pytest.mark.requirement("CLIN-GRADE-04", "REG-AUDIT-01")
def test_a_result_is_converted_graded_against_the_site_range_and_audited(study: StudySetup) -> None:
    subject = enrolled(study)
    crc = subject.crc
    _ranges(study)
    save_form(study.db, crc, subject_id=subject.subject_id, form_code="DM", item_values={"BRTHDAT": "1980-02-29",
              "SEX": "F", "HEIGHT": "162.5"}, now=NOW)  # fmt: skip
    record_visit(
        study.db, crc, subject_id=subject.subject_id, visit_code="day1", visit_local=FIRST.isoformat(), now=NOW
    )
    baseline = record_lab_result(
        study.db, crc, subject_id=subject.subject_id, test_code="PLAT", value=Decimal(200), unit="10^9/L",
        collected_local="2019-07-30", now=NOW,
    )  # fmt: skip
    assert baseline.range_reason is None, baseline.range_reason
    assert (baseline.grade, baseline.alerts) == (0, ())
    low = record_lab_result(
        study.db, crc, subject_id=subject.subject_id, test_code="PLAT", value=Decimal("74.9"), unit="10^3/uL",
        collected_local="2019-08-15T08:00", now=NOW,
    )  # fmt: skip
    assert low.grade == 2
    assert low.range_reason is None
    assert [a.kind for a in low.alerts] == ["shift_from_baseline"]  # grade 0 at baseline, now 2
    with study.db.reading() as session:
        row = session.get_one(LabResult, low.id)
        assert (row.value_text, row.unit, row.si_value, row.si_unit) == ("74.9", "10^3/uL", Decimal("74.9"), "10^9/L")
        assert (row.grade, row.grading_version) == (2, "dermtrial-ctcae5-lab-2")
        assert row.reference_range_id is not None
    trail = events(study.db, entity_type="lab_result")
    kinds = [(e["event_type"], e["field"]) for e in trail if e["entity_id"] == str(low.id)]
    assert ("derivation", "ctcae") in kinds
    assert ("safety-alert", "shift_from_baseline") in kinds


def test_calcium_in_mg_dl_is_corrected_with_the_same_day_albumin(study: StudySetup) -> None:
    subject = enrolled(study)
    _ranges(study)
    dm = {"BRTHDAT": "1980-05-01", "SEX": "M", "HEIGHT": "170"}
    save_form(study.db, subject.crc, subject_id=subject.subject_id, form_code="DM", item_values=dm, now=NOW)
    record_lab_result(
        study.db, subject.crc, subject_id=subject.subject_id, test_code="ALB", value=Decimal("3.0"), unit="g/dL",
        collected_local="2019-08-15", now=NOW,
    )  # fmt: skip
    # 11.4 mg/dL = 2.845 mmol/L; albumin 30 g/L adds 0.20 → 3.04 mmol/L: grade 2 (3.12 would be grade 3)
    calcium = record_lab_result(
        study.db, subject.crc, subject_id=subject.subject_id, test_code="CA", value=Decimal("11.4"), unit="mg/dL",
        collected_local="2019-08-15", now=NOW,
    )  # fmt: skip
    assert calcium.grading is not None
    assert calcium.grading.to_json()["calcium"] == "corrected"
    assert calcium.grade == 2


def test_a_result_without_a_range_is_stored_and_says_why_it_is_not_fully_graded(study: StudySetup) -> None:
    subject = enrolled(study)
    result = record_lab_result(
        study.db, subject.crc, subject_id=subject.subject_id, test_code="PLAT", value=Decimal(100), unit="10^9/L",
        collected_local="2019-08-15", now=NOW,
    )  # fmt: skip
    assert result.grade is None
    assert result.range_reason == "the subject's year of birth is unknown"
    assert result.grading is not None
    assert "needs the LLN" in result.grading.to_json()["not_gradable"]["Platelet count decreased"]


def test_bad_unit_and_other_site_are_refused_and_nothing_is_written(study: StudySetup) -> None:
    subject = enrolled(study)
    outsider = study.user("nurse.zhao", "coordinator", "SH02")
    before = len(events(study.db))
    with pytest.raises(InvalidInput, match="PLAT results are reported in 10\\^9/L, 10\\^3/uL"):
        record_lab_result(
            study.db, subject.crc, subject_id=subject.subject_id, test_code="PLAT", value=Decimal(1), unit="g/L",
            collected_local="2019-08-15", now=NOW,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        record_lab_result(
            study.db, outsider, subject_id=subject.subject_id, test_code="PLAT", value=Decimal(1), unit="10^9/L",
            collected_local="2019-08-15", now=NOW,
        )  # fmt: skip
    assert len(events(study.db)) == before
    assert count(study.db, LabResult) == 0
