"""Baseline-aware CTCAE v5.0 rules: ALT, AST, ALP, bilirubin and GGT use multiples of an abnormal baseline (above the
ULN); a normal or missing baseline uses the ULN rules; creatinine's grades 2–3 also hold on multiples of baseline."""

from __future__ import annotations

import pytest

from dermtrial.protocol.model import LabTest
from tests.safety.conftest import grade

ALT = "Alanine aminotransferase increased"


@pytest.mark.requirement("CLIN-GRADE-02")
def test_alt_at_exactly_3_uln_with_normal_baseline_is_grade_1(lab_tests: dict[str, LabTest]) -> None:
    assert grade(lab_tests, "ALT", "120", "U/L", ALT, uln="40", baseline="30") == 1
    assert grade(lab_tests, "ALT", "121", "U/L", ALT, uln="40", baseline="30") == 2


def test_a_baseline_at_the_uln_is_normal_and_a_missing_one_uses_the_uln(lab_tests: dict[str, LabTest]) -> None:
    assert grade(lab_tests, "ALT", "41", "U/L", ALT, uln="40", baseline="40") == 1
    assert grade(lab_tests, "ALT", "41", "U/L", ALT, uln="40", baseline=None) == 1


# test, term, uln, abnormal baseline, [(value, grade)]: multiples of baseline on both sides of each limit
ABNORMAL = [
    ("ALT", ALT, "40", "60",
     [("89", 0), ("90", 1), ("180", 1), ("181", 2), ("300", 2), ("301", 3), ("1200", 3), ("1201", 4)]),
    ("AST", "Aspartate aminotransferase increased", "35", "50",
     [("74", 0), ("75", 1), ("150", 1), ("151", 2), ("250", 2), ("251", 3), ("1000", 3), ("1001", 4)]),
    ("ALP", "Alkaline phosphatase increased", "100", "150",
     [("299", 0), ("300", 1), ("375", 1), ("376", 2), ("750", 2), ("751", 3), ("3000", 3), ("3001", 4)]),
    ("GGT", "GGT increased", "50", "80",
     [("159", 0), ("160", 1), ("200", 1), ("201", 2), ("400", 2), ("401", 3), ("1600", 3), ("1601", 4)]),
    ("BILI", "Blood bilirubin increased", "20", "30",
     [("30.0", 0), ("30.1", 1), ("45.0", 1), ("45.1", 2), ("90.0", 2), ("90.1", 3), ("300.0", 3), ("300.1", 4)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "term", "uln", "baseline", "value", "expected"),
    [
        pytest.param(code, term, uln, base, value, expected, id=f"{code}-{value}")
        for code, term, uln, base, rows in ABNORMAL
        for value, expected in rows
    ],
)
@pytest.mark.requirement("CLIN-GRADE-02")
def test_abnormal_baseline_uses_multiples_of_baseline(
    lab_tests: dict[str, LabTest], code: str, term: str, uln: str, baseline: str, value: str, expected: int
) -> None:
    unit = "umol/L" if code == "BILI" else "U/L"
    assert grade(lab_tests, code, value, unit, term, uln=uln, baseline=baseline) == expected


@pytest.mark.requirement("CLIN-GRADE-02")
def test_creatinine_grades_2_and_3_on_multiples_of_baseline(lab_tests: dict[str, LabTest]) -> None:
    term = "Creatinine increased"
    # baseline 80, ULN 100: 1.5 × baseline = 120, 3.0 × baseline = 240
    assert grade(lab_tests, "CREAT", "120", "umol/L", term, uln="100", baseline="80") == 1
    assert grade(lab_tests, "CREAT", "121", "umol/L", term, uln="100", baseline="80") == 2
    assert grade(lab_tests, "CREAT", "240", "umol/L", term, uln="100", baseline="80") == 2
    assert grade(lab_tests, "CREAT", "241", "umol/L", term, uln="100", baseline="80") == 3
    # without a baseline only the ULN multiples apply
    assert grade(lab_tests, "CREAT", "241", "umol/L", term, uln="100") == 2


def test_creatinine_inside_the_range_is_not_increased_whatever_the_baseline(lab_tests: dict[str, LabTest]) -> None:
    assert grade(lab_tests, "CREAT", "90", "umol/L", "Creatinine increased", uln="100", baseline="50") == 0


def test_hemoglobin_increased_may_count_from_baseline(lab_tests: dict[str, LabTest]) -> None:
    from decimal import Decimal

    from dermtrial.safety import grade_lab

    result = grade_lab(
        lab_tests["HGB"], Decimal(200), "g/L", uln=Decimal(175), baseline=Decimal(185),
        hemoglobin_increased_reference="baseline",
    )  # fmt: skip
    assert result.grade_of("Hemoglobin increased") == 1
