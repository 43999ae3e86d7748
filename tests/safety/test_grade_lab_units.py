"""Results in site units are converted to the criterion's SI unit (with the molar mass where needed) before grading,
and so are the reference range and the baseline."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dermtrial.protocol.model import LabTest
from dermtrial.safety import grade_lab
from tests.safety.conftest import grade


@pytest.mark.requirement("CLIN-GRADE-04")
def test_hemoglobin_in_g_dl_is_graded_in_g_l(lab_tests: dict[str, LabTest]) -> None:
    assert grade(lab_tests, "HGB", "9.9", "g/dL", "Anemia", lln="13.0") == 2  # 99 g/L
    assert grade(lab_tests, "HGB", "10.0", "g/dL", "Anemia", lln="13.0") == 1  # 100 g/L


def test_platelets_in_10_3_per_ul_equal_10_9_per_l(lab_tests: dict[str, LabTest]) -> None:
    assert grade(lab_tests, "PLAT", "74.9", "10^3/uL", "Platelet count decreased", lln="150") == 2


@pytest.mark.requirement("CLIN-GRADE-04")
def test_creatinine_in_mg_dl_uses_its_molar_mass(lab_tests: dict[str, LabTest]) -> None:
    result = grade_lab(lab_tests["CREAT"], Decimal("1.0"), "mg/dL", uln=Decimal("1.1"))
    (item,) = result.grades
    assert item.unit == "umol/L"
    assert item.compared_value == Decimal(88)  # 1.0 mg/dL = 88.40 umol/L
    assert grade(lab_tests, "CREAT", "1.7", "mg/dL", "Creatinine increased", uln="1.1") == 2  # 1.55 × ULN


def test_bilirubin_and_glucose_in_mg_dl(lab_tests: dict[str, LabTest]) -> None:
    # 1 mg/dL bilirubin = 17.1 umol/L; 1.8 mg/dL = 30.8 umol/L > 1.5 × 20.5
    assert grade(lab_tests, "BILI", "1.8", "mg/dL", "Blood bilirubin increased", uln="1.2") == 2
    # 53 mg/dL glucose = 2.94 mmol/L → 2.9 (grade 2); 55 mg/dL = 3.05 → 3.1 (grade 1)
    assert grade(lab_tests, "GLUC", "53", "mg/dL", "Hypoglycemia", lln="70") == 2
    assert grade(lab_tests, "GLUC", "55", "mg/dL", "Hypoglycemia", lln="70") == 1
