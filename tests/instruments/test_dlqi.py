"""DLQI: items 0–3, "not relevant" (0) on items 3–10, item 7's yes/no path, one missing item counts 0."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dermtrial.errors import format_path, problems_from_validation_error
from dermtrial.instruments.dlqi import DlqiAnswers, dlqi_band, score_dlqi

NR = "not_relevant"


def answers(*values: Any, q7: Any = None) -> dict[str, Any]:
    """Nine answers for items 1–6 and 8–10, and item 7 as given."""
    keys = [f"q{n}" for n in range(1, 11) if n != 7]
    return dict(zip(keys, values, strict=True)) | {"q7": q7}


def score(data: dict[str, Any]) -> Any:
    return score_dlqi(DlqiAnswers.model_validate(data))


@pytest.mark.parametrize(
    ("data", "total", "band"),
    [
        # The module docstring example: 3+2+1+0(NR)+0+0+3(yes)+1+0+2 = 12.
        (answers(3, 2, 1, NR, 0, 0, 1, 0, 2, q7={"prevented": "yes"}), 12, "very_large"),
        # Item 7 "no, a little" scores 1.
        (answers(1, 1, 0, 0, 0, 0, 0, NR, 0, q7={"prevented": "no", "problem": 1}), 3, "small"),
        # Item 7 "no, a lot" scores 2; "no, not at all" scores 0.
        (answers(0, 0, 0, 0, 0, 0, 0, 0, 0, q7={"prevented": "no", "problem": 2}), 2, "small"),
        (answers(0, 0, 0, 0, 0, 0, 0, 0, 0, q7={"prevented": "no", "problem": 0}), 0, "no_effect"),
        # Item 7 "not relevant" scores 0.
        (answers(1, 0, 0, 0, 0, 0, 0, 0, 0, q7={"prevented": NR}), 1, "no_effect"),
        # Every item answered "not relevant" where allowed: only items 1 and 2 count.
        (answers(3, 3, NR, NR, NR, NR, NR, NR, NR, q7={"prevented": NR}), 6, "moderate"),
        # The maximum: 30.
        (answers(3, 3, 3, 3, 3, 3, 3, 3, 3, q7={"prevented": "yes"}), 30, "extremely_large"),
    ],
)
@pytest.mark.requirement("CLIN-DLQI-01")
def test_dlqi_worked_examples(data: dict[str, Any], total: int, band: str) -> None:
    result = score(data)
    assert (result.total, result.band) == (total, band)
    assert result.not_computable is None


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "no_effect"),
        (1, "no_effect"),  # top of 0–1
        (2, "small"),  # bottom of 2–5
        (5, "small"),
        (6, "moderate"),
        (10, "moderate"),
        (11, "very_large"),
        (20, "very_large"),
        (21, "extremely_large"),
        (30, "extremely_large"),
    ],
)
@pytest.mark.requirement("CLIN-DLQI-01")
def test_dlqi_bands_on_both_sides_of_each_edge(total: int, band: str) -> None:
    assert dlqi_band(total) == band


@pytest.mark.requirement("CLIN-DLQI-01")
def test_one_unanswered_item_scores_0_and_is_flagged() -> None:
    result = score(answers(1, 1, 0, 0, 0, 0, 0, None, 0, q7={"prevented": "no", "problem": 1}))
    assert result.total == 3
    assert result.band == "small"
    assert result.unanswered == (9,)
    assert result.to_json()["flags"] == [{"item": "q9", "problem": "unanswered"}]
    assert result.to_json()["items"] == [1, 1, 0, 0, 0, 0, 1, 0, None, 0]


@pytest.mark.requirement("CLIN-DLQI-01")
def test_two_unanswered_items_make_the_total_missing_with_the_reason() -> None:
    result = score(answers(1, 1, None, 0, 0, 0, 0, None, 0, q7={"prevented": NR}))
    assert result.total is None
    assert result.band is None
    assert result.to_json()["not_computable"] == (
        "items 3, 9 unanswered; the DLQI total is missing when two or more items are unanswered"
    )


@pytest.mark.parametrize(
    ("q7", "item7", "flags"),
    [
        (None, None, [("q7", "unanswered")]),  # null is the same as {"prevented": null}
        ({"prevented": None}, None, [("q7", "unanswered")]),
        # "no" without the follow-up: item 7 is unanswered (counts 0 when it is the only one), query.
        ({"prevented": "no"}, None, [("q7", "unanswered"), ("q7.problem", "followup_unanswered")]),
        # A follow-up after "yes": yes scores 3 and the follow-up is ignored, query.
        ({"prevented": "yes", "problem": 1}, 3, [("q7.problem", "followup_ignored")]),
        ({"prevented": NR, "problem": 2}, 0, [("q7.problem", "followup_ignored")]),
        # A follow-up without the yes/no part: not guessed to be "no"; unanswered, query.
        (
            {"prevented": None, "problem": 2},
            None,
            [("q7", "unanswered"), ("q7.prevented", "followup_without_answer")],
        ),
    ],
)
def test_item_7_yes_no_path_edge_cases(q7: Any, item7: int | None, flags: list[tuple[str, str]]) -> None:
    result = score(answers(1, 1, 0, 0, 0, 0, 0, 0, 0, q7=q7))
    assert result.item_scores[6] == item7
    assert [(f.item, f.problem) for f in result.flags] == flags
    assert result.total == 2 + (item7 or 0)  # at most one item unanswered: still scored


def problems(data: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        DlqiAnswers.model_validate(data)
    return [f"{format_path(p.path)}: {p.message}" for p in problems_from_validation_error(caught.value)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # Items 1 and 2 have no "not relevant".
        (
            {"q1": NR},
            'q1: "not_relevant" is not allowed: must be a whole number 0–3 or null '
            '("not_relevant" is not an answer to this item)',
        ),
        ({"q3": 4}, 'q3: 4 is not allowed: must be a whole number 0–3, "not_relevant" or null'),
        ({"q3": "1"}, 'q3: "1" is not allowed: must be a whole number 0–3, "not_relevant" or null'),
        ({"q10": 1.5}, 'q10: 1.5 is not allowed: must be a whole number 0–3, "not_relevant" or null'),
        (
            {"q7": {"prevented": "maybe"}},
            'q7.prevented: "maybe" is not allowed: must be one of "yes", "no", "not_relevant"',
        ),
        (
            {"q7": {"prevented": "no", "problem": 3}},
            "q7.problem: 3 is not allowed: must be a whole number 0–2",
        ),
        ({"q7": 3}, "q7: 3 is not allowed: expected a mapping of fields"),
        ({"q11": 0}, "q11: unknown field (not part of the format)"),
    ],
)
def test_dlqi_refuses_bad_answers_naming_item_value_and_what_is_allowed(change: dict[str, Any], message: str) -> None:
    data = answers(0, 0, 0, 0, 0, 0, 0, 0, 0, q7={"prevented": "no", "problem": 0}) | change
    assert problems(data) == [message]


def test_dlqi_needs_every_item_key_null_marks_unanswered() -> None:
    data = answers(0, 0, 0, 0, 0, 0, 0, 0, 0, q7={"prevented": "yes"})
    del data["q5"]
    assert problems(data) == ["q5: required field is missing"]


answer = st.one_of(st.integers(0, 3), st.just(NR), st.none())
item7 = st.fixed_dictionaries(
    {"prevented": st.sampled_from(["yes", "no", NR, None])},
    optional={"problem": st.one_of(st.integers(0, 2), st.none())},
)


@given(
    st.tuples(st.one_of(st.integers(0, 3), st.none()), st.one_of(st.integers(0, 3), st.none())),
    st.lists(answer, min_size=7, max_size=7),
    item7,
)
@pytest.mark.requirement("CLIN-DLQI-01")
def test_dlqi_total_is_0_to_30_or_missing_exactly_when_two_or_more_unanswered(
    first: tuple[int | None, int | None], rest: list[Any], q7: dict[str, Any]
) -> None:
    result = score(answers(*first, *rest, q7=q7))
    assert (result.total is None) == (len(result.unanswered) >= 2)
    if result.total is not None:
        assert 0 <= result.total <= 30
        assert result.total == sum(s or 0 for s in result.item_scores)
