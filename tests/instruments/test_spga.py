"""sPGA: 0 clear, 1 almost clear, 2 mild, 3 moderate, 4 severe."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from dermtrial.errors import format_path, problems_from_validation_error
from dermtrial.instruments.spga import GRADES, SpgaInput, score_spga


@pytest.mark.parametrize(
    ("grade", "code", "label_en", "label_zh"),
    [
        (0, "clear", "Clear", "清除"),
        (1, "almost_clear", "Almost clear", "基本清除"),
        (2, "mild", "Mild", "轻度"),
        (3, "moderate", "Moderate", "中度"),
        (4, "severe", "Severe", "重度"),
    ],
)
@pytest.mark.requirement("CLIN-SPGA-01")
def test_spga_grades_and_labels(grade: int, code: str, label_en: str, label_zh: str) -> None:
    result = score_spga(SpgaInput(spga=grade))
    assert (result.grade.code, result.grade.label_en, result.grade.label_zh) == (code, label_en, label_zh)
    assert result.to_json() == {"spga": grade, "label": code, "version": "sPGA-5/dermtrial-1"}
    assert GRADES[grade] == result.grade


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "spga: 5 is not allowed: must be a whole number 0–4"),
        (-1, "spga: -1 is not allowed: must be a whole number 0–4"),
        ("3", 'spga: "3" is not allowed: must be a whole number 0–4'),
        (2.5, "spga: 2.5 is not allowed: must be a whole number 0–4"),
    ],
)
@pytest.mark.requirement("CLIN-SPGA-01")
def test_spga_refuses_values_outside_0_to_4(value: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SpgaInput.model_validate({"spga": value})
    assert [f"{format_path(p.path)}: {p.message}" for p in problems_from_validation_error(caught.value)] == [message]
