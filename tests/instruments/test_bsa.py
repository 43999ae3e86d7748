"""BSA: percent of body surface involved, 0–100, given directly or in the patient's palms (1 % each)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from dermtrial.errors import format_path, problems_from_validation_error
from dermtrial.instruments.bsa import PALM_PERCENT, BsaInput, score_bsa


@pytest.mark.requirement("CLIN-BSA-01")
def test_one_palm_is_1_percent() -> None:
    assert Decimal(1) == PALM_PERCENT


@pytest.mark.parametrize(
    ("data", "percent", "method"),
    [
        ({"percent": 12.5}, Decimal("12.5"), "percent"),
        (
            {"percent": 10},
            Decimal(10),
            "percent",
        ),  # exactly 10 %: eligibility needs > 10, not this rule's business
        ({"percent": 0}, Decimal(0), "percent"),
        ({"percent": 100}, Decimal(100), "percent"),  # top of the range
        ({"palms": 8, "palm_includes_fingers": True}, Decimal(8), "palms"),
        ({"palms": 10.5, "palm_includes_fingers": False}, Decimal("10.5"), "palms"),
    ],
)
@pytest.mark.requirement("CLIN-BSA-01")
def test_bsa_worked_examples(data: dict[str, Any], percent: Decimal, method: str) -> None:
    result = score_bsa(BsaInput.model_validate(data))
    assert result.percent == percent
    assert result.method == method
    assert result.palm_includes_fingers == data.get("palm_includes_fingers")


def test_bsa_json_output() -> None:
    result = score_bsa(BsaInput.model_validate({"palms": 12, "palm_includes_fingers": True}))
    assert result.to_json() == {
        "bsa_percent": 12.0,
        "method": "palms",
        "palm_includes_fingers": True,
        "version": "BSA-palm/dermtrial-1",
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"percent": 100.1}, "percent: 100.1 is not allowed: must be a number 0–100"),
        ({"percent": -1}, "percent: -1 is not allowed: must be a number 0–100"),
        ({"percent": "12"}, 'percent: "12" is not allowed: must be a number 0–100'),
        (
            {"percent": 5, "palms": 5},
            "(top level): give exactly one of percent (0–100) or palms (0–100 palms)",
        ),
        ({}, "(top level): give exactly one of percent (0–100) or palms (0–100 palms)"),
        ({"palms": 101}, "palms: 101 is not allowed: must be a number 0–100"),
        (
            {"percent": 5, "palm_includes_fingers": "yes"},
            'palm_includes_fingers: "yes" is not allowed: expected true or false',
        ),
    ],
)
@pytest.mark.requirement("CLIN-BSA-01")
def test_bsa_refuses_bad_input(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BsaInput.model_validate(data)
    assert [f"{format_path(p.path)}: {p.message}" for p in problems_from_validation_error(caught.value)] == [message]
