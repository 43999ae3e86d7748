"""Property: a CTCAE grade never falls as a value moves further from normal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dermtrial.protocol.builtin import load_builtin
from dermtrial.safety import criteria, grade_lab

TESTS = {test.code: test for test in load_builtin("NCT03392311").safety.lab_tests}
TERMS = [(code, term.term, term.direction, term.unit) for term in criteria().terms for code in term.tests]
LIMITS = {"lln": Decimal(2), "uln": Decimal(5)}
values = st.decimals(min_value=0, max_value=2000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(TERMS), a=values, b=values, baseline=st.none() | values)
@pytest.mark.requirement("CLIN-GRADE-06")
def test_grade_never_falls_further_from_normal(
    case: tuple[str, str, str, str], a: Decimal, b: Decimal, baseline: Decimal | None
) -> None:
    code, term, direction, unit = case
    near, far = (min(a, b), max(a, b)) if direction == "high" else (max(a, b), min(a, b))
    scale = Decimal(100) if unit == "g/L" else Decimal(1)
    kwargs = {"lln": LIMITS["lln"] * scale, "uln": LIMITS["uln"] * scale, "baseline": baseline}
    first = grade_lab(TESTS[code], near, unit, **kwargs).grade_of(term)
    second = grade_lab(TESTS[code], far, unit, **kwargs).grade_of(term)
    assert first is not None
    assert second is not None
    assert second >= first
