"""Zung SAS and SDS: reverse items, raw 20–80, index = raw × 1.25 by the protocol's method, Chinese bands."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dermtrial.errors import format_path, problems_from_validation_error
from dermtrial.instruments.zung import (
    RULES,
    ZungAnswers,
    score_zung_sas,
    score_zung_sds,
    zung_band,
    zung_index,
    zung_raw,
)

SAS_REVERSE = {5, 9, 13, 17, 19}
SDS_REVERSE = {2, 5, 6, 11, 12, 14, 16, 17, 18, 20}


@pytest.mark.requirement("CLIN-ZUNG-01")
def test_reverse_scored_items_are_the_published_ones() -> None:
    assert RULES["sas"].reverse_items == SAS_REVERSE
    assert RULES["sds"].reverse_items == SDS_REVERSE


def answers_for_raw(scale: str, raw: int) -> list[int | None]:
    """Ticks whose scored sum is ``raw`` (scores filled from item 1; reverse items ticked 5 − s)."""
    scores = [1] * 20
    extra = raw - 20
    for k in range(20):
        step = min(3, extra)
        scores[k] += step
        extra -= step
    reverse = SAS_REVERSE if scale == "sas" else SDS_REVERSE
    return [5 - s if number in reverse else s for number, s in enumerate(scores, start=1)]


@pytest.mark.requirement("CLIN-ZUNG-01")
def test_a_reverse_item_counts_5_minus_the_answer() -> None:
    # All answers 1: SDS raw = 10 × 1 (forward) + 10 × 4 (reverse) = 50; SAS raw = 15 + 5 × 4 = 35.
    assert zung_raw("sds", [1] * 20) == 50
    assert zung_raw("sas", [1] * 20) == 35
    # Ticking 4 on the forward items and 1 on the reverse ones gives the maximum, 80.
    assert zung_raw("sds", [1 if n in SDS_REVERSE else 4 for n in range(1, 21)]) == 80


@pytest.mark.parametrize(
    ("raw", "integer_part", "round_half_up"),
    [
        (20, 25, 25),  # lowest
        (42, 52, 53),  # 52.5: the two methods differ
        (43, 53, 54),  # 53.75: the eligibility edge for SDS (> 53 excludes)
        (44, 55, 55),  # 55.0: whole already
        (45, 56, 56),  # 56.25: rounds down either way
        (80, 100, 100),  # highest
    ],
)
@pytest.mark.requirement("CLIN-ZUNG-02")
def test_zung_index_is_raw_times_1_25_by_integer_part_or_half_up(
    raw: int, integer_part: int, round_half_up: int
) -> None:
    assert zung_index(raw, "integer_part") == integer_part
    assert zung_index(raw, "round_half_up") == round_half_up
    assert zung_index(raw) == integer_part  # integer_part is the default


@pytest.mark.requirement("CLIN-ZUNG-02")
def test_sds_raw_43_is_53_eligible_by_integer_part_and_54_by_half_up() -> None:
    items = answers_for_raw("sds", 43)
    default = score_zung_sds(ZungAnswers(items=items))
    assert default.to_json() == {"raw": 43, "index": 53, "conversion": "integer_part", "band": "mild"}
    half_up = score_zung_sds(ZungAnswers(items=items, conversion="round_half_up"))
    assert half_up.to_json() == {"raw": 43, "index": 54, "conversion": "round_half_up", "band": "mild"}
    assert default.exact_index is not None
    assert float(default.exact_index) == 53.75


@pytest.mark.parametrize(
    ("scale", "index", "band"),
    [
        ("sas", 25, "normal"),
        ("sas", 49, "normal"),  # just below the Chinese norm cut-off 50
        ("sas", 50, "mild"),  # the cut-off itself is mild (eligibility separately says SAS 50 passes)
        ("sas", 59, "mild"),
        ("sas", 60, "moderate"),
        ("sas", 69, "moderate"),
        ("sas", 70, "severe"),
        ("sas", 100, "severe"),
        ("sds", 52, "normal"),  # just below the cut-off 53
        ("sds", 53, "mild"),  # the cut-off itself is mild (eligibility separately says SDS 53 passes)
        ("sds", 62, "mild"),
        ("sds", 63, "moderate"),
        ("sds", 72, "moderate"),
        ("sds", 73, "severe"),
    ],
)
@pytest.mark.requirement("CLIN-ZUNG-03")
def test_zung_bands_by_chinese_norm_on_both_sides_of_each_cut_off(scale: Any, index: int, band: str) -> None:
    assert zung_band(scale, index) == band


@pytest.mark.requirement("CLIN-ZUNG-01")
def test_sas_is_scored_with_its_own_reverse_items() -> None:
    items = answers_for_raw("sas", 40)
    result = score_zung_sas(ZungAnswers(items=items))
    assert (result.raw, result.index, result.band) == (40, 50, "mild")
    assert score_zung_sds(ZungAnswers(items=items)).raw != 40  # the same ticks mean something else on the SDS


@pytest.mark.requirement("CLIN-ZUNG-03")
def test_an_unanswered_item_makes_the_scale_not_computable_with_the_item_numbers() -> None:
    items = answers_for_raw("sds", 43)
    items[2] = None
    items[16] = None
    result = score_zung_sds(ZungAnswers(items=items))
    assert result.unanswered == (3, 17)
    assert result.to_json() == {
        "raw": None,
        "index": None,
        "conversion": "integer_part",
        "band": None,
        "not_computable": "items 3, 17 unanswered; the Zung SDS is scored only with all 20 answers",
    }


def problems(data: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        ZungAnswers.model_validate(data)
    return [f"{format_path(p.path)}: {p.message}" for p in problems_from_validation_error(caught.value)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"items": [2] * 19},  # one answer short
            "items: a list is not allowed: must be a list of exactly 20 answers "
            "(1–4, or null when unanswered) in questionnaire order; got 19",
        ),
        (
            {"items": [2] * 21},
            "items: a list is not allowed: must be a list of exactly 20 answers "
            "(1–4, or null when unanswered) in questionnaire order; got 21",
        ),
        ({"items": [2] * 19 + [5]}, "items[19]: 5 is not allowed: must be a whole number 1–4"),
        ({"items": [0] + [2] * 19}, "items[0]: 0 is not allowed: must be a whole number 1–4"),
        ({"items": ["2"] + [2] * 19}, 'items[0]: "2" is not allowed: must be a whole number 1–4'),
        ({"items": [2.5] + [2] * 19}, "items[0]: 2.5 is not allowed: must be a whole number 1–4"),
        (
            {"items": [2] * 20, "conversion": "round"},
            'conversion: "round" is not allowed: must be one of "integer_part", "round_half_up"',
        ),
        ({}, "items: required field is missing"),
    ],
)
@pytest.mark.requirement("CLIN-ZUNG-03")
def test_zung_refuses_bad_answers_naming_position_value_and_range(data: Any, message: str) -> None:
    assert problems(data) == [message]


@given(st.lists(st.integers(1, 4), min_size=20, max_size=20), st.sampled_from(["integer_part", "round_half_up"]))
def test_zung_index_is_within_25_and_100_for_any_answers(items: list[int | None], conversion: Any) -> None:
    for score in (score_zung_sas, score_zung_sds):
        result = score(ZungAnswers(items=items, conversion=conversion))
        assert result.raw is not None
        assert result.index is not None
        assert 20 <= result.raw <= 80
        assert 25 <= result.index <= 100
        exact = Fraction(result.raw * 5, 4)
        if conversion == "integer_part":
            assert result.index <= exact < result.index + 1
        else:
            assert result.index - Fraction(1, 2) <= exact < result.index + Fraction(1, 2)
