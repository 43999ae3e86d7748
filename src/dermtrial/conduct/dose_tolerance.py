"""Dose tolerance: a dose given further from the computed dose than the tolerance (either side) is a deviation.

``deviation % = |given − computed| / computed × 100``, exact. At the default 10 %: computed 125,000,000 cells,
given 137,500,000 (+10.0 %) is within, 137,500,001 is outside; given 112,500,000 (−10.0 %) is within.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ToleranceResult:
    """Whether a given dose is within tolerance of the computed dose."""

    within: bool | None
    """True within tolerance, False outside, None when not computable."""
    difference_percent: Decimal | None
    """Signed difference (given − computed) as a percentage of the computed dose."""
    reason: str | None = None
    """Why it is not computable."""


def check_dose_tolerance(computed: Decimal, given: Decimal, tolerance_percent: Decimal) -> ToleranceResult:
    """Compare the dose given with the computed dose at ``tolerance_percent``."""
    if computed <= 0:
        return ToleranceResult(None, None, f"the computed dose {computed} is not positive")
    if given < 0:
        return ToleranceResult(None, None, f"the dose given {given} is negative")
    difference = (given - computed) * 100 / computed
    return ToleranceResult(abs(difference) <= tolerance_percent, difference.quantize(Decimal("0.01")))
