"""canonical_json.dumps writes exactly the text of json.dumps(indent=2, sort_keys=True, ensure_ascii=False,
allow_nan=False), for any JSON value and in particular for long lists of same-shaped objects (its fast path)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dermtrial.analysis.canonical_json import dumps, dumps_utf8


def reference(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)


# text with quotes, backslashes, control characters, percent signs, non-ASCII and astral characters
texts = st.text(alphabet=st.sampled_from(['a', 'Z', '"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "%", "s", "–",
                                          "é", "中", "\U0001f600", " ", ":", ","]), max_size=6)  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)),
    max_leaves=20,
)


@st.composite
def same_shaped_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A list of objects with one set of keys, some values nested objects with their own fixed keys."""
    keys = draw(st.lists(texts, min_size=1, max_size=5, unique=True))
    nested = draw(st.sets(st.sampled_from(keys)))
    inner_keys = draw(st.lists(texts, min_size=1, max_size=3, unique=True))
    column_kinds = {key: draw(st.sampled_from(["scalar", "float", "bool", "str", "int"])) for key in keys}
    kind_values: dict[str, st.SearchStrategy[Any]] = {
        "scalar": scalars,
        "float": st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
        "bool": st.one_of(st.none(), st.booleans()),
        "str": st.one_of(st.none(), texts),
        "int": st.one_of(st.none(), st.integers()),
    }
    rows = []
    for _ in range(draw(st.integers(min_value=2, max_value=6))):
        row: dict[str, Any] = {}
        for key in keys:
            if key in nested:
                row[key] = {inner: draw(scalars) for inner in inner_keys}
            else:
                row[key] = draw(kind_values[column_kinds[key]])
        rows.append(row)
    return rows


@settings(max_examples=300, deadline=None)
@given(values)
def test_any_json_value_is_written_as_the_standard_library_writes_it(value: Any) -> None:
    assert dumps(value) == reference(value)
    assert dumps_utf8(value) == reference(value).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(same_shaped_rows(), st.integers(min_value=0, max_value=2))
def test_a_list_of_same_shaped_objects_nested_in_an_object_is_written_as_the_standard_library_writes_it(
    rows: list[dict[str, Any]], depth: int
) -> None:
    value: Any = rows
    for _ in range(depth):
        value = {"per_subject": value, "n": len(rows)}
    assert dumps(value) == reference(value)
    assert dumps_utf8(value) == reference(value).encode("utf-8")


@pytest.mark.parametrize(
    "rows",
    [
        [{"a": 1, "b": 2}, {"a": 1, "c": 2}],  # same number of keys, another key
        [{"a": 1}, {"a": 1, "b": 2}],  # more keys
        [{"a": {"x": 1}}, {"a": 2}],  # an object in one row, a number in the next
        [{"a": {"x": 1}}, {"a": {"y": 1}}],  # nested objects with different keys
        [{"a": {}}, {"a": {}}],  # empty nested objects
        [{"a": [1]}, {"a": [2, 3]}],  # lists inside
        [{"a": 1}, [1]],  # not all objects
        [{"a": 1, "b": 2.5}, {"a": "x", "b": True}],  # columns of mixed kinds
        [{"a": 1}, {"a": 1.0}, {"a": None}],
    ],
)
def test_rows_that_are_not_one_shape_are_written_as_the_standard_library_writes_them(rows: list[Any]) -> None:
    assert dumps({"rows": rows}) == reference({"rows": rows})


class Number(float):
    """A float subclass: left to the standard library."""


@pytest.mark.parametrize(
    "value",
    [
        {"a": Number(1.5)},
        [{"a": Number(1.5)}, {"a": 2.0}],
        {"a": (1, 2)},  # a tuple is a JSON array
        {"a": {1: "x"}},  # a non-string key becomes a string
        {"a": [{"k": True, "j": -0.0}, {"k": False, "j": 1e300}]},
    ],
)
def test_unusual_values_are_handed_to_the_standard_library(value: Any) -> None:
    assert dumps(value) == reference(value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_float_json_cannot_hold_is_refused_as_the_standard_library_refuses_it(bad: float) -> None:
    for value in ({"a": bad}, [{"a": bad}, {"a": 1.0}], [{"a": 1.0}, {"a": bad}]):
        with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
            reference(value)
        with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
            dumps(value)
