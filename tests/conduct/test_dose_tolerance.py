"""A dose given off the computed dose by more than the tolerance is a deviation (edges both sides)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dermtrial.conduct import check_dose_tolerance

TEN = Decimal("10")


@pytest.mark.parametrize(
    ("given", "within"),
    [
        (125_000_000, True),
        (137_500_000, True),  # +10.0 %: the edge is inside
        (137_500_001, False),  # just above
        (112_500_000, True),  # −10.0 %
        (112_499_999, False),
    ],
)
@pytest.mark.requirement("CLIN-DOSE-02")
def test_tolerance_edges(given: int, within: bool) -> None:
    assert check_dose_tolerance(Decimal(125_000_000), Decimal(given), TEN).within is within


def test_zero_computed_dose_is_not_computable() -> None:
    result = check_dose_tolerance(Decimal(0), Decimal(1), TEN)
    assert result.within is None
    assert result.reason is not None
