"""Not computable is a result: a grade that needs a limit not given is None with the reason; a value that decides
without it is graded; where CTCAE also needs clinical context, the result says the value alone decided."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dermtrial.protocol.model import LabTest
from dermtrial.safety import grade_lab


@pytest.mark.requirement("CLIN-GRADE-05")
def test_a_value_that_needs_the_missing_lln_is_not_gradable(lab_tests: dict[str, LabTest]) -> None:
    result = grade_lab(lab_tests["PLAT"], Decimal(80), "10^9/L").to_json()
    assert result["grades"] == {"Platelet count decreased": None}
    assert "needs the LLN" in result["not_gradable"]["Platelet count decreased"]


def test_a_value_beyond_a_fixed_limit_is_graded_without_the_range(lab_tests: dict[str, LabTest]) -> None:
    assert grade_lab(lab_tests["PLAT"], Decimal("74.9"), "10^9/L").grade_of("Platelet count decreased") == 2


def test_an_abnormal_looking_baseline_without_uln_is_not_gradable(lab_tests: dict[str, LabTest]) -> None:
    result = grade_lab(lab_tests["ALT"], Decimal(100), "U/L", baseline=Decimal(60))
    assert result.grade_of("Alanine aminotransferase increased") is None


@pytest.mark.requirement("CLIN-GRADE-05")
def test_gluc_maps_to_hypoglycemia_only(lab_tests: dict[str, LabTest]) -> None:
    result = grade_lab(lab_tests["GLUC"], Decimal(30), "mmol/L", lln=Decimal("3.9"), uln=Decimal("6.1"))
    assert result.to_json()["grades"] == {"Hypoglycemia": 0}


@pytest.mark.requirement("CLIN-GRADE-05")
def test_value_only_grading_is_flagged_where_ctcae_needs_clinical_context(lab_tests: dict[str, LabTest]) -> None:
    result = grade_lab(lab_tests["SODIUM"], Decimal(127), "mmol/L", lln=Decimal(135), uln=Decimal(145)).to_json()
    assert result["grades"]["Hyponatremia"] == 2
    assert "125-129 mmol/L symptomatic" in result["value_only"]["Hyponatremia"]
    assert "Hypernatremia" not in result["value_only"]  # grade 0: nothing to raise
