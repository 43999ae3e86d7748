"""PASI: weights 0.1/0.2/0.3/0.4, signs 0–4, area 0–6 by half-open bands, exact tenths, flags."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dermtrial.errors import format_path, problems_from_validation_error
from dermtrial.instruments.pasi import (
    MAX_TENTHS,
    REGION_WEIGHT_TENTHS,
    REGIONS,
    PasiItems,
    area_score,
    pasi_tenths,
    score_pasi,
)


def region(e: int, i: int, d: int, area: int | None = None, percent: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"erythema": e, "induration": i, "desquamation": d}
    if area is not None:
        out["area"] = area
    if percent is not None:
        out["area_percent"] = percent
    return out


def assessment(head: dict[str, Any], upper: dict[str, Any], trunk: dict[str, Any], lower: dict[str, Any]) -> PasiItems:
    return PasiItems.model_validate({"head": head, "upper_limbs": upper, "trunk": trunk, "lower_limbs": lower})


CLEAR = region(0, 0, 0, 0)


@pytest.mark.requirement("CLIN-PASI-01")
def test_pasi_weights_are_head_0_1_upper_0_2_trunk_0_3_lower_0_4_in_that_order() -> None:
    assert REGIONS == ("head", "upper_limbs", "trunk", "lower_limbs")
    assert dict(REGION_WEIGHT_TENTHS) == {"head": 1, "upper_limbs": 2, "trunk": 3, "lower_limbs": 4}
    assert MAX_TENTHS == 720


@pytest.mark.parametrize(
    ("regions", "expected", "subscores"),
    [
        # The docstring example: 0.1×5×3 + 0.2×3×2 + 0.3×6×0 + 0.4×8×4 = 1.5 + 1.2 + 0 + 12.8.
        (
            (region(2, 1, 2, 3), region(1, 1, 1, 2), region(2, 2, 2, 0), region(3, 3, 2, 4)),
            "15.5",
            {"head": "1.5", "upper_limbs": "1.2", "trunk": "0.0", "lower_limbs": "12.8"},
        ),
        # Every sign and area at maximum: 72.0, the top of the scale.
        (
            (region(4, 4, 4, 6),) * 4,
            "72.0",
            {"head": "7.2", "upper_limbs": "14.4", "trunk": "21.6", "lower_limbs": "28.8"},
        ),
        # All clear: 0.0.
        ((CLEAR,) * 4, "0.0", {"head": "0.0", "upper_limbs": "0.0", "trunk": "0.0", "lower_limbs": "0.0"}),
        # The float trap: 0.1×1×1 + 0.2×1×4 + 0.3×1×6 + 0.4×8×6 = 21.9; a float sum gives 21.900000000000002.
        (
            (region(1, 0, 0, 1), region(0, 1, 0, 4), region(0, 0, 1, 6), region(3, 3, 2, 6)),
            "21.9",
            {"head": "0.1", "upper_limbs": "0.8", "trunk": "1.8", "lower_limbs": "19.2"},
        ),
        # Only the head, smallest step: 0.1 × 1 × 1 = 0.1.
        (
            (region(1, 0, 0, 1), CLEAR, CLEAR, CLEAR),
            "0.1",
            {"head": "0.1", "upper_limbs": "0.0", "trunk": "0.0", "lower_limbs": "0.0"},
        ),
    ],
)
@pytest.mark.requirement("CLIN-PASI-01")
def test_pasi_worked_examples(regions: tuple[dict[str, Any], ...], expected: str, subscores: dict[str, str]) -> None:
    result = score_pasi(assessment(*regions))
    assert result.value == Decimal(expected)
    assert {r: str(Decimal(t).scaleb(-1)) for r, t in result.region_tenths.items()} == subscores


@pytest.mark.requirement("CLIN-PASI-03")
def test_pasi_21_9_is_exactly_21_9_where_a_naive_float_sum_is_not() -> None:
    items = assessment(region(1, 0, 0, 1), region(0, 1, 0, 4), region(0, 0, 1, 6), region(3, 3, 2, 6))
    naive = 0.1 * 1 * 1 + 0.2 * 1 * 4 + 0.3 * 1 * 6 + 0.4 * 8 * 6
    assert naive != 21.9  # the trap is real: 21.900000000000002
    result = score_pasi(items)
    assert result.tenths == 219
    assert result.value == Decimal("21.9")
    assert result.to_json()["pasi"] == 21.9
    assert repr(result.to_json()["pasi"]) == "21.9"


@pytest.mark.parametrize(
    ("percent", "score"),
    [
        ("0", 0),  # exactly 0 % is area 0
        ("0.01", 1),  # any involvement above 0 is at least 1
        ("9.99", 1),  # just below 10: still 1 (half-open band)
        ("10", 2),  # 10 belongs to band 2
        ("29.9", 2),
        ("30", 3),
        ("49.99", 3),
        ("50", 4),
        ("69.9", 4),
        ("70", 5),
        ("89.99", 5),
        ("90", 6),  # 90 to 100 inclusive is 6
        ("100", 6),
    ],
)
@pytest.mark.requirement("CLIN-PASI-02")
def test_pasi_area_percent_bands_are_half_open_on_both_sides_of_each_edge(percent: str, score: int) -> None:
    assert area_score(Decimal(percent)) == score
    items = assessment(region(1, 1, 1, percent=Decimal(percent)), CLEAR, CLEAR, CLEAR)
    assert score_pasi(items).area_scores["head"] == score


def test_pasi_area_percent_as_a_python_float_means_what_was_typed() -> None:
    # 9.99 as a float is 9.9900000000000002131628...: still below 10, still area 1.
    items = assessment(region(1, 1, 1, percent=9.99), CLEAR, CLEAR, CLEAR)
    assert score_pasi(items).area_scores["head"] == 1


@pytest.mark.parametrize(
    ("head", "problem"),
    [
        (region(2, 0, 0, 0), "signs_without_area"),  # signs above 0 but area 0: contributes 0, query
        (region(0, 0, 0, 3), "area_without_signs"),  # area above 0 but no signs: contributes 0, query
        (region(0, 0, 0, percent=Decimal("0.5")), "area_without_signs"),  # same, area given as a percentage
    ],
)
@pytest.mark.requirement("CLIN-PASI-04")
def test_pasi_inconsistent_region_is_scored_by_the_formula_and_flagged(head: dict[str, Any], problem: str) -> None:
    result = score_pasi(assessment(head, region(1, 1, 1, 1), CLEAR, CLEAR))
    assert result.region_tenths["head"] == 0
    assert result.tenths == 6  # upper limbs 0.2 × 3 × 1
    assert [(f.region, f.problem) for f in result.flags] == [("head", problem)]


@pytest.mark.requirement("CLIN-PASI-04")
def test_pasi_clear_region_with_area_0_is_not_flagged() -> None:
    assert score_pasi(assessment(CLEAR, CLEAR, CLEAR, CLEAR)).flags == ()


def test_pasi_json_output_has_total_subscores_flags_and_version() -> None:
    result = score_pasi(assessment(region(2, 1, 2, 3), region(1, 1, 1, 2), region(2, 2, 2, 0), region(3, 3, 2, 4)))
    assert result.to_json() == {
        "pasi": 15.5,
        "regions": {"head": 1.5, "upper_limbs": 1.2, "trunk": 0.0, "lower_limbs": 12.8},
        "flags": [{"region": "trunk", "problem": "signs_without_area"}],
        "version": "PASI-1978/dermtrial-1",
    }


def problems(data: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        PasiItems.model_validate(data)
    return [f"{format_path(p.path)}: {p.message}" for p in problems_from_validation_error(caught.value)]


def full(**head: Any) -> dict[str, Any]:
    return {"head": region(1, 1, 1, 1) | head, "upper_limbs": CLEAR, "trunk": CLEAR, "lower_limbs": CLEAR}


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ({"erythema": 5}, "head.erythema: 5 is not allowed: must be a whole number 0–4"),
        ({"erythema": -1}, "head.erythema: -1 is not allowed: must be a whole number 0–4"),
        (
            {"erythema": "2"},
            'head.erythema: "2" is not allowed: must be a whole number 0–4',
        ),  # text is not coerced
        ({"erythema": 2.5}, "head.erythema: 2.5 is not allowed: must be a whole number 0–4"),
        (
            {"erythema": 2.0},
            "head.erythema: 2.0 is not allowed: must be a whole number 0–4",
        ),  # a float, even whole
        ({"erythema": True}, "head.erythema: true is not allowed: must be a whole number 0–4"),
        ({"area": 7}, "head.area: 7 is not allowed: must be a whole number 0–6"),
        (
            {"area": None, "area_percent": 101},
            "head.area_percent: 101 is not allowed: must be a number 0–100",
        ),
        (
            {"area": None, "area_percent": -0.1},
            "head.area_percent: -0.1 is not allowed: must be a number 0–100",
        ),
        (
            {"area": None, "area_percent": "12"},
            'head.area_percent: "12" is not allowed: must be a number 0–100',
        ),
        (
            {"area_percent": 12},
            "head: give exactly one of area (a whole number 0–6) or area_percent (a number 0–100)",
        ),
        (
            {"area": None},
            "head: give exactly one of area (a whole number 0–6) or area_percent (a number 0–100)",
        ),
        ({"colour": 1}, "head.colour: unknown field (not part of the format)"),
    ],
)
@pytest.mark.requirement("CLIN-PASI-05", "REG-INTEG-03")
def test_pasi_refuses_bad_items_naming_field_value_and_range(head: dict[str, Any], message: str) -> None:
    assert problems(full(**head)) == [message]


@pytest.mark.requirement("CLIN-PASI-05")
def test_pasi_refuses_a_missing_region_and_a_missing_sign() -> None:
    data = full()
    del data["trunk"]
    del data["head"]["induration"]
    assert problems(data) == [
        "head.induration: required field is missing",
        "trunk: required field is missing",
    ]


# Property tests ---------------------------------------------------------------------------------------------

signs = st.integers(0, 4)
areas = st.integers(0, 6)
rows = st.tuples(*[st.integers(0, 6) if k % 4 == 3 else st.integers(0, 4) for k in range(16)])


def items_from_row(row: tuple[int, ...]) -> PasiItems:
    regions = [region(*row[k : k + 4]) for k in range(0, 16, 4)]
    return assessment(*regions)


@given(rows)
@pytest.mark.requirement("CLIN-PASI-01", "CLIN-PASI-03")
def test_pasi_is_within_0_and_72_and_a_multiple_of_0_1(row: tuple[int, ...]) -> None:
    result = score_pasi(items_from_row(row))
    assert 0 <= result.value <= 72
    assert result.value == result.value.quantize(Decimal("0.1"))
    assert result.tenths == sum(result.region_tenths.values())


@given(rows, st.integers(0, 15))
def test_pasi_never_falls_when_one_item_rises(row: tuple[int, ...], position: int) -> None:
    top = 6 if position % 4 == 3 else 4
    if row[position] == top:
        return
    higher = list(row)
    higher[position] += 1
    assert score_pasi(items_from_row(tuple(higher))).tenths >= score_pasi(items_from_row(row)).tenths


@given(signs, signs, signs, areas)
@pytest.mark.requirement("CLIN-PASI-01")
def test_pasi_region_weights_are_respected(e: int, i: int, d: int, area: int) -> None:
    # The same scores in each region alone give totals in the ratio 1 : 2 : 3 : 4.
    alone = []
    for k in range(4):
        regions = [CLEAR] * 4
        regions[k] = region(e, i, d, area)
        alone.append(score_pasi(assessment(*regions)).tenths)
    base = (e + i + d) * area
    assert alone == [base, 2 * base, 3 * base, 4 * base]


@given(rows)
def test_pasi_fast_path_for_batches_agrees_with_score_pasi(row: tuple[int, ...]) -> None:
    assert pasi_tenths(row) == score_pasi(items_from_row(row)).tenths
