"""CTCAE v5.0 grade of every graded term at each threshold, on both sides (values in SI, limits from the site)."""

from __future__ import annotations

import pytest

from dermtrial.protocol.model import LabTest
from tests.safety.conftest import grade

PLT = "Platelet count decreased"
# test, unit, term, lln, uln, [(value, grade), ...]: each pair sits on one side of a CTCAE limit.
TABLES = [
    ("PLAT", "10^9/L", PLT, "150", "400",
     [("150", 0), ("149.9", 1), ("75.0", 1), ("74.9", 2), ("50.0", 2), ("49.9", 3), ("25.0", 3), ("24.9", 4)]),
    ("WBC", "10^9/L", "White blood cell decreased", "4.0", "10.0",
     [("4.0", 0), ("3.9", 1), ("3.0", 1), ("2.9", 2), ("2.0", 2), ("1.9", 3), ("1.0", 3), ("0.9", 4)]),
    ("NEUT", "10^9/L", "Neutrophil count decreased", "2.0", "7.0",
     [("2.0", 0), ("1.9", 1), ("1.5", 1), ("1.4", 2), ("1.0", 2), ("0.9", 3), ("0.5", 3), ("0.4", 4)]),
    ("LYM", "10^9/L", "Lymphocyte count decreased", "1.1", "3.2",
     [("1.1", 0), ("1.0", 1), ("0.8", 1), ("0.7", 2), ("0.5", 2), ("0.4", 3), ("0.2", 3), ("0.1", 4)]),
    ("HGB", "g/L", "Anemia", "130", "175",
     [("130", 0), ("129", 1), ("100", 1), ("99", 2), ("80", 2), ("79", 3)]),
    ("HGB", "g/L", "Hemoglobin increased", "130", "175",
     [("175", 0), ("176", 1), ("195", 1), ("196", 2), ("215", 2), ("216", 3)]),
    ("ALB", "g/L", "Hypoalbuminemia", "35", "55",
     [("35", 0), ("34", 1), ("30", 1), ("29", 2), ("20", 2), ("19", 3)]),
    ("ALT", "U/L", "Alanine aminotransferase increased", "0", "40",
     [("40", 0), ("41", 1), ("120", 1), ("121", 2), ("200", 2), ("201", 3), ("800", 3), ("801", 4)]),
    ("AST", "U/L", "Aspartate aminotransferase increased", "0", "35",
     [("35", 0), ("36", 1), ("105", 1), ("106", 2), ("175", 2), ("176", 3), ("700", 3), ("701", 4)]),
    ("ALP", "U/L", "Alkaline phosphatase increased", "40", "100",
     [("100", 0), ("101", 1), ("250", 1), ("251", 2), ("500", 2), ("501", 3), ("2000", 3), ("2001", 4)]),
    ("GGT", "U/L", "GGT increased", "0", "50",
     [("50", 0), ("51", 1), ("125", 1), ("126", 2), ("250", 2), ("251", 3), ("1000", 3), ("1001", 4)]),
    ("BILI", "umol/L", "Blood bilirubin increased", "0", "20",
     [("20.0", 0), ("20.1", 1), ("30.0", 1), ("30.1", 2), ("60.0", 2), ("60.1", 3), ("200.0", 3), ("200.1", 4)]),
    ("CREAT", "umol/L", "Creatinine increased", "50", "100",
     [("100", 0), ("101", 1), ("150", 1), ("151", 2), ("300", 2), ("301", 3), ("600", 3), ("601", 4)]),
    ("CA", "mmol/L", "Hypercalcemia", "2.10", "2.60",
     [("2.60", 0), ("2.61", 1), ("2.90", 1), ("2.91", 2), ("3.10", 2), ("3.11", 3), ("3.40", 3), ("3.41", 4)]),
    ("CA", "mmol/L", "Hypocalcemia", "2.10", "2.60",
     [("2.10", 0), ("2.09", 1), ("2.00", 1), ("1.99", 2), ("1.75", 2), ("1.74", 3), ("1.50", 3), ("1.49", 4)]),
    ("K", "mmol/L", "Hyperkalemia", "3.5", "5.3",
     [("5.3", 0), ("5.4", 1), ("5.5", 1), ("5.6", 2), ("6.0", 2), ("6.1", 3), ("7.0", 3), ("7.1", 4)]),
    # Hypokalemia grade 2 is symptomatic only: a value <3.0 is grade 3.
    ("K", "mmol/L", "Hypokalemia", "3.5", "5.3",
     [("3.5", 0), ("3.4", 1), ("3.0", 1), ("2.9", 3), ("2.5", 3), ("2.4", 4)]),
    ("SODIUM", "mmol/L", "Hypernatremia", "135", "145",
     [("145", 0), ("146", 1), ("150", 1), ("151", 2), ("155", 2), ("156", 3), ("160", 3), ("161", 4)]),
    ("SODIUM", "mmol/L", "Hyponatremia", "135", "145",
     [("135", 0), ("134", 1), ("130", 1), ("129", 2), ("125", 2), ("124", 3), ("120", 3), ("119", 4)]),
    ("GLUC", "mmol/L", "Hypoglycemia", "3.9", "6.1",
     [("3.9", 0), ("3.8", 1), ("3.0", 1), ("2.9", 2), ("2.2", 2), ("2.1", 3), ("1.7", 3), ("1.6", 4)]),
]  # fmt: skip
CASES = [
    pytest.param(code, unit, term, lln, uln, value, expected, id=f"{code}-{term}-{value}")
    for code, unit, term, lln, uln, rows in TABLES
    for value, expected in rows
]


@pytest.mark.parametrize(("code", "unit", "term", "lln", "uln", "value", "expected"), CASES)
@pytest.mark.requirement("CLIN-GRADE-01")
def test_grade_at_each_ctcae_limit(
    lab_tests: dict[str, LabTest], code: str, unit: str, term: str, lln: str, uln: str, value: str, expected: int
) -> None:
    assert grade(lab_tests, code, value, unit, term, lln=lln, uln=uln) == expected


@pytest.mark.requirement("CLIN-GRADE-01")
def test_platelets_75_0_is_grade_1_and_74_9_is_grade_2(lab_tests: dict[str, LabTest]) -> None:
    assert grade(lab_tests, "PLAT", "75.0", "10^9/L", PLT, lln="150") == 1
    assert grade(lab_tests, "PLAT", "74.9", "10^9/L", PLT, lln="150") == 2


def test_every_graded_term_has_a_table() -> None:
    from dermtrial.safety import criteria

    tabled = {term for _, _, term, *_ in TABLES}
    assert {term.term for term in criteria().terms} == tabled


def test_a_value_in_the_rule_unit_is_compared_as_reported(lab_tests: dict[str, LabTest]) -> None:
    # rounding to the limit's decimals would lift 74.95 to 75.0 and 0.45 to 0.5 and under-grade both
    assert grade(lab_tests, "PLAT", "74.95", "10^9/L", PLT, lln="150") == 2
    assert grade(lab_tests, "NEUT", "0.45", "10^9/L", "Neutrophil count decreased", lln="2.0") == 4
    assert grade(lab_tests, "NEUT", "0.5", "10^9/L", "Neutrophil count decreased", lln="2.0") == 3
    assert grade(lab_tests, "LYM", "0.19", "10^9/L", "Lymphocyte count decreased", lln="1.1") == 4
    assert grade(lab_tests, "WBC", "2.95", "10^9/L", "White blood cell decreased", lln="3.5") == 2
    # ALT 120.4 U/L with ULN 40 is above 3.0 x ULN (120): grade 2, not 1
    assert grade(lab_tests, "ALT", "120.4", "U/L", "Alanine aminotransferase increased", uln="40") == 2


def test_a_converted_value_is_rounded_only_finer_than_the_limits(lab_tests: dict[str, LabTest]) -> None:
    # glucose 54 mg/dL is 2.997 mmol/L: below 3.0 (CTCAE <55 mg/dL), grade 2; at 0.1 it would round to 3.0
    assert grade(lab_tests, "GLUC", "54", "mg/dL", "Hypoglycemia", lln="3.9") == 2
    # haemoglobin 9.96 g/dL is 99.6 g/L: below 100 g/L (CTCAE <10.0 g/dL), grade 2
    assert grade(lab_tests, "HGB", "9.96", "g/dL", "Anemia", lln="130") == 2
