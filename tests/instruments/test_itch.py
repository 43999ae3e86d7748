"""Itch: 0–10 NRS (whole numbers) or 0–100 mm VAS, kept on the scale it was measured on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from dermtrial.errors import format_path, problems_from_validation_error
from dermtrial.instruments.itch import ItchInput, score_itch


@pytest.mark.parametrize(
    ("data", "scale", "score", "maximum"),
    [
        ({"nrs": 0}, "nrs", 0, 10),  # no itch
        ({"nrs": 7}, "nrs", 7, 10),
        ({"nrs": 10}, "nrs", 10, 10),  # worst imaginable
        ({"vas_mm": 63.5}, "vas_mm", Decimal("63.5"), 100),
        ({"vas_mm": 100}, "vas_mm", Decimal(100), 100),
    ],
)
@pytest.mark.requirement("CLIN-ITCH-01")
def test_itch_worked_examples(data: dict[str, Any], scale: str, score: Any, maximum: int) -> None:
    result = score_itch(ItchInput.model_validate(data))
    assert (result.scale, result.score, result.maximum) == (scale, score, maximum)


def test_itch_json_output() -> None:
    assert score_itch(ItchInput.model_validate({"vas_mm": 63.5})).to_json() == {
        "scale": "vas_mm",
        "score": 63.5,
        "maximum": 100,
        "version": "ITCH-NRS11-VAS100/dermtrial-1",
    }
    assert score_itch(ItchInput(nrs=7)).to_json()["score"] == 7


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"nrs": 11}, "nrs: 11 is not allowed: must be a whole number 0–10"),
        ({"nrs": 7.5}, "nrs: 7.5 is not allowed: must be a whole number 0–10"),  # the NRS has no halves
        ({"vas_mm": 100.5}, "vas_mm: 100.5 is not allowed: must be a number 0–100"),
        (
            {"nrs": 3, "vas_mm": 30},
            "(top level): give exactly one of nrs (a whole number 0–10) or vas_mm (0–100)",
        ),
        ({}, "(top level): give exactly one of nrs (a whole number 0–10) or vas_mm (0–100)"),
    ],
)
@pytest.mark.requirement("CLIN-ITCH-01")
def test_itch_refuses_bad_input(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ItchInput.model_validate(data)
    assert [f"{format_path(p.path)}: {p.message}" for p in problems_from_validation_error(caught.value)] == [message]
