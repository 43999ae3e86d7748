"""Hypercalcaemia and hypocalcaemia are graded on albumin-corrected calcium (protocol formula, default Payne:
Ca + 0.02 × (40 − albumin g/L) mmol/L); without an albumin the measured value is graded and called uncorrected."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dermtrial.protocol.model import LabTest
from dermtrial.safety import grade_lab


def _hyper(tests: dict[str, LabTest], value: str, unit: str = "mmol/L", albumin: str | None = None) -> int | None:
    uln = Decimal("2.60") if unit == "mmol/L" else Decimal("10.4")
    albumin_g_per_l = None if albumin is None else Decimal(albumin)
    result = grade_lab(tests["CA"], Decimal(value), unit, uln=uln, albumin_g_per_l=albumin_g_per_l)
    return result.grade_of("Hypercalcemia")


@pytest.mark.requirement("CLIN-GRADE-03")
def test_corrected_calcium_2_9_is_grade_1_and_2_91_is_grade_2(lab_tests: dict[str, LabTest]) -> None:
    # albumin 35 g/L adds 0.02 × 5 = 0.10 mmol/L
    assert _hyper(lab_tests, "2.80", albumin="35") == 1
    assert _hyper(lab_tests, "2.81", albumin="35") == 2


@pytest.mark.requirement("CLIN-GRADE-03")
def test_low_albumin_raises_and_high_albumin_lowers_the_graded_calcium(lab_tests: dict[str, LabTest]) -> None:
    assert _hyper(lab_tests, "2.58", albumin="40") == 0
    assert _hyper(lab_tests, "2.58", albumin="30") == 1  # corrected 2.78
    assert _hyper(lab_tests, "2.95", albumin="45") == 1  # corrected 2.85


@pytest.mark.requirement("CLIN-GRADE-03")
def test_without_albumin_the_measured_value_is_graded_and_called_uncorrected(lab_tests: dict[str, LabTest]) -> None:
    result = grade_lab(lab_tests["CA"], Decimal("2.91"), "mmol/L", uln=Decimal("2.60"))
    assert result.grade_of("Hypercalcemia") == 2
    assert result.to_json()["calcium"] == "uncorrected"
    corrected = grade_lab(lab_tests["CA"], Decimal("2.91"), "mmol/L", uln=Decimal("2.60"), albumin_g_per_l=Decimal(40))
    assert corrected.to_json()["calcium"] == "corrected"


@pytest.mark.requirement("CLIN-GRADE-04")
def test_calcium_in_mg_dl_is_converted_with_its_molar_mass(lab_tests: dict[str, LabTest]) -> None:
    # 11.6 mg/dL = 2.894 mmol/L → 2.89 (grade 1); 11.7 mg/dL = 2.919 → 2.92 (grade 2)
    assert _hyper(lab_tests, "11.6", unit="mg/dL") == 1
    assert _hyper(lab_tests, "11.7", unit="mg/dL") == 2
