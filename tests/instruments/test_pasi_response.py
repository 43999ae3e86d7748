"""PASI response: improvement % = (B − W) / B × 100; PASIxx when improvement ≥ xx %, exact on tenths."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dermtrial.errors import format_path, problems_from_validation_error
from dermtrial.instruments.pasi_response import (
    RESPONSE_THRESHOLDS,
    PasiPair,
    is_responder,
    score_pasi_response,
)


def respond(baseline: Any, followup: Any) -> dict[str, Any]:
    return score_pasi_response(PasiPair(baseline=baseline, followup=followup)).to_json()


@pytest.mark.requirement("CLIN-RESP-02")
def test_response_thresholds_are_50_75_90_100() -> None:
    assert RESPONSE_THRESHOLDS == (50, 75, 90, 100)


@pytest.mark.parametrize(
    ("baseline", "followup", "improvement", "flags"),
    [
        (11.2, 2.8, 75.0, (True, True, False, False)),  # exactly 75 %: PASI75 (a float division says 74.99…)
        (20.0, 10.0, 50.0, (True, False, False, False)),  # exactly 50 %
        (20.0, 10.1, 49.5, (False, False, False, False)),  # one tenth short of PASI50
        (20.0, 2.0, 90.0, (True, True, True, False)),  # exactly 90 %
        (20.0, 2.1, 89.5, (True, True, False, False)),  # one tenth short of PASI90
        (12.3, 0.0, 100.0, (True, True, True, True)),  # clear: PASI100
        (0.1, 0.0, 100.0, (True, True, True, True)),  # smallest baseline
        (10.0, 10.0, 0.0, (False, False, False, False)),  # unchanged
        (10.0, 10.5, -5.0, (False, False, False, False)),  # worse: negative improvement
        (0.1, 72.0, -71900.0, (False, False, False, False)),  # the worst possible change
        (72, 18, 75.0, (True, True, False, False)),  # whole numbers are PASI values too
    ],
)
@pytest.mark.requirement("CLIN-RESP-01", "CLIN-RESP-02")
def test_pasi_response_worked_examples(
    baseline: float, followup: float, improvement: float, flags: tuple[bool, ...]
) -> None:
    out = respond(baseline, followup)
    assert out == {
        "improvement_percent": improvement,
        "pasi50": flags[0],
        "pasi75": flags[1],
        "pasi90": flags[2],
        "pasi100": flags[3],
    }


@pytest.mark.requirement("CLIN-RESP-02")
def test_11_2_to_2_8_is_a_pasi75_responder_although_naive_floats_say_no() -> None:
    assert (11.2 - 2.8) / 11.2 * 100 < 75  # the trap: 74.99999999999999
    assert respond(11.2, 2.8)["pasi75"] is True
    assert score_pasi_response(PasiPair.model_validate({"baseline": 11.2, "followup": 2.8})).improvement == 75


@pytest.mark.requirement("CLIN-RESP-01")
def test_improvement_is_the_exact_fraction_and_its_json_float_is_within_1e_9() -> None:
    result = score_pasi_response(PasiPair(baseline=Decimal("30.0"), followup=Decimal("20.0")))
    assert result.improvement == Fraction(100, 3)
    assert abs(result.to_json()["improvement_percent"] - 100 / 3) < 1e-9


@pytest.mark.parametrize("followup", [0, 5.5])
@pytest.mark.requirement("CLIN-RESP-01")
def test_baseline_0_is_not_computable_with_the_reason_never_0(followup: float) -> None:
    out = respond(0, followup)
    assert out == {
        "improvement_percent": None,
        "pasi50": None,
        "pasi75": None,
        "pasi90": None,
        "pasi100": None,
        "not_computable": "the baseline PASI is 0, so an improvement relative to it is undefined",
    }


def test_is_responder_refuses_a_zero_baseline() -> None:
    with pytest.raises(ValueError, match="above 0"):
        is_responder(0, 0, 75)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"baseline": 11.25, "followup": 2.8},
            "baseline: 11.25 is not allowed: must be a PASI value 0–72 with at most 1 decimal",
        ),
        (
            {"baseline": 72.1, "followup": 2.8},
            "baseline: 72.1 is not allowed: must be a PASI value 0–72 with at most 1 decimal",
        ),
        (
            {"baseline": -0.1, "followup": 2.8},
            "baseline: -0.1 is not allowed: must be a PASI value 0–72 with at most 1 decimal",
        ),
        (
            {"baseline": "11.2", "followup": 2.8},
            'baseline: "11.2" is not allowed: must be a PASI value 0–72 with at most 1 decimal',
        ),
        ({"baseline": 11.2}, "followup: required field is missing"),
        ({"baseline": 11.2, "followup": 2.8, "week": 12}, "week: unknown field (not part of the format)"),
    ],
)
def test_pasi_pair_refuses_values_that_are_not_pasi_values(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PasiPair.model_validate(data)
    assert [f"{format_path(p.path)}: {p.message}" for p in problems_from_validation_error(caught.value)] == [message]


def test_trailing_zeros_are_not_extra_decimals() -> None:
    assert respond(Decimal("11.20"), Decimal("2.800"))["pasi75"] is True


tenths = st.integers(0, 720)


@given(st.integers(1, 720), tenths)
def test_improvement_is_at_most_100_and_flags_nest(baseline: int, followup: int) -> None:
    result = score_pasi_response(PasiPair(baseline=Decimal(baseline) / 10, followup=Decimal(followup) / 10))
    assert result.improvement is not None
    assert result.responders is not None
    assert result.improvement <= 100
    r = result.responders
    assert r[90] or not r[100]  # PASI100 implies PASI90
    assert r[75] or not r[90]  # PASI90 implies PASI75
    assert r[50] or not r[75]  # PASI75 implies PASI50
    assert r[100] == (followup == 0)
