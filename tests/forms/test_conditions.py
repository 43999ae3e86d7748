"""Form conditions evaluated on stored values, three-valued (forms/conditions.py): the pregnancy test's
``applies_when`` row by row, each operator on both sides of its edge, and Kleene's logic for all / any / not."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from dermtrial.forms import Condition
from dermtrial.forms.conditions import FormValues, condition_items, evaluate_applies, evaluate_condition
from dermtrial.protocol.builtin import load_builtin

CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


def _c(data: dict[str, Any]) -> Condition:
    return CONDITION.validate_python(data)


@pytest.mark.parametrize(
    ("dm", "applies"),
    [
        (None, None),  # demographics not entered: cannot be decided yet
        ({"SEX": "M", "BRTHDAT": "1970-01-01"}, False),  # a man
        ({"SEX": "F", "CHILDBEAR": False}, False),  # a woman not of child-bearing potential
        ({"SEX": "F"}, None),  # child-bearing potential not answered
        ({"SEX": "F", "CHILDBEAR": None}, None),  # answered empty
        ({"SEX": "F", "CHILDBEAR": True}, True),  # a woman of child-bearing potential
        ({"SEX": "F", "CHILDBEAR": "true"}, True),  # a boolean sent as text reads as one
        ({"SEX": "M", "CHILDBEAR": True}, False),  # a stray answer for a man changes nothing
    ],
)
def test_the_pregnancy_test_applies_to_women_of_child_bearing_potential(
    dm: dict[str, Any] | None, applies: bool | None
) -> None:
    preg = next(f for f in load_builtin("NCT03392311").forms if f.code == "PREG")
    values: FormValues = {} if dm is None else {"DM": dm}
    assert evaluate_applies(preg, values) is applies


def test_a_form_without_applies_when_always_applies() -> None:
    dm = next(f for f in load_builtin("NCT03392311").forms if f.code == "DM")
    assert evaluate_applies(dm, {}) is True


@pytest.mark.parametrize(
    ("op", "value", "stored", "holds"),
    [
        ("==", 70, "70.0", True),  # numbers compare exactly, whatever their spelling
        ("==", 70, "70.1", False),
        ("!=", "F", "M", True),
        ("!=", "F", "F", False),
        ("<", 18, 17, True),  # one below the limit
        ("<", 18, 18, False),  # at the limit
        ("<=", 18, 18, True),
        ("<=", 18, "18.1", False),
        (">", 75, "75.1", True),
        (">", 75, 75, False),
        (">=", 75, 75, True),
        (">=", 75, "74.9", False),
        ("<", 18, "not a number", None),  # cannot be compared: undecided
        (">=", "2019-07-10", "2019-07-10", True),  # ISO dates order as text
        (">=", "2019-07-10", "2019-07-09", False),
        ("in", ["plaque", "guttate"], "plaque", True),
        ("in", ["plaque", "guttate"], "pustular", False),
        ("not_in", ["plaque"], "pustular", True),
        ("not_in", ["plaque"], "plaque", False),
        ("==", True, True, True),
        ("==", True, False, False),
        ("==", True, "false", False),
        ("==", "1", 1, True),  # text target: compared as text
    ],
)
def test_each_operator_on_both_sides(op: str, value: Any, stored: Any, holds: bool | None) -> None:
    condition = _c({"item": "X.A", "op": op, "value": value})
    assert evaluate_condition(condition, {"X": {"A": stored}}, form="Y") is holds


@pytest.mark.parametrize("op", ["==", "!=", "<", "in", "not_in"])
def test_a_comparison_with_no_value_is_undecided(op: str) -> None:
    value: Any = [1] if op in {"in", "not_in"} else 1
    condition = _c({"item": "X.A", "op": op, "value": value})
    assert evaluate_condition(condition, {"X": {}}, form="Y") is None  # form entered, item empty
    assert evaluate_condition(condition, {"X": {"A": ""}}, form="Y") is None  # an empty text is no value
    assert evaluate_condition(condition, {}, form="Y") is None  # form not entered


def test_present_and_absent_are_decided_once_the_form_is_entered() -> None:
    present, absent = _c({"item": "RETDAT", "op": "present"}), _c({"item": "RETDAT", "op": "absent"})
    assert evaluate_condition(present, {"OINT": {"RETDAT": "2019-08-15"}}, form="OINT") is True
    assert evaluate_condition(present, {"OINT": {}}, form="OINT") is False
    assert evaluate_condition(absent, {"OINT": {}}, form="OINT") is True
    assert evaluate_condition(absent, {"OINT": {"RETDAT": "2019-08-15"}}, form="OINT") is False
    assert evaluate_condition(present, {}, form="OINT") is None  # an unqualified item is the holding form's


TRUE, FALSE, UNKNOWN = (
    {"item": "X.T", "op": "==", "value": 1},
    {"item": "X.F", "op": "==", "value": 1},
    {"item": "X.U", "op": "==", "value": 1},
)
VALUES: FormValues = {"X": {"T": 1, "F": 0}}


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        ({"all": [TRUE, TRUE]}, True),
        ({"all": [TRUE, UNKNOWN]}, None),
        ({"all": [FALSE, UNKNOWN]}, False),  # one false part decides
        ({"any": [FALSE, FALSE]}, False),
        ({"any": [FALSE, UNKNOWN]}, None),
        ({"any": [TRUE, UNKNOWN]}, True),  # one true part decides
        ({"not": TRUE}, False),
        ({"not": FALSE}, True),
        ({"not": UNKNOWN}, None),
    ],
)
def test_all_any_and_not_follow_three_valued_logic(condition: dict[str, Any], holds: bool | None) -> None:
    assert evaluate_condition(_c(condition), VALUES, form="X") is holds


def test_the_items_a_condition_reads() -> None:
    preg = next(f for f in load_builtin("NCT03392311").forms if f.code == "PREG")
    assert preg.applies_when is not None
    assert condition_items(preg.applies_when, "PREG") == {("DM", "SEX"), ("DM", "CHILDBEAR")}
    assert condition_items(_c({"not": {"item": "RETDAT", "op": "present"}}), "OINT") == {("OINT", "RETDAT")}


LEAVES = st.sampled_from([TRUE, FALSE, UNKNOWN])
CONDITIONS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"all": parts}),
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"any": parts}),
        inner.map(lambda part: {"not": part}),
    ),
    max_leaves=8,
)


@given(CONDITIONS)
def test_not_not_is_the_condition_and_deciding_more_never_flips_a_verdict(condition: dict[str, Any]) -> None:
    parsed = _c(condition)
    verdict = evaluate_condition(parsed, VALUES, form="X")
    assert evaluate_condition(_c({"not": {"not": condition}}), VALUES, form="X") is verdict
    for known in (0, 1):  # the undecided item gets a value: a decided verdict stays as it was
        decided = evaluate_condition(parsed, {"X": {**VALUES["X"], "U": known}}, form="X")
        assert decided is not None
        if verdict is not None:
            assert decided is verdict
