"""Calcipotriol accountability: average grams per week between two weighings of a tube.

``grams used = weight dispensed − weight returned``; ``average g/week = grams used × 7 / days between weighings``,
exact (``Fraction``), then compared with the label limit (``max_use``, 100 g/week): strictly above alerts. Shown
rounded half up to 0.1 g/week.

| dispensed (g) | returned (g) | days | g/week | alert |
|---------------|--------------|------|--------|-------|
| 250.0         | 50.0         | 14   | 100.0  | no    |
| 250.2         | 50.0         | 14   | 100.1  | yes   |
| 120.0         | 90.0         | 0    | —      | not computable (same day) |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


@dataclass(frozen=True)
class WeeklyUse:
    """Average use between two weighings, or why it cannot be computed."""

    grams_per_week: Decimal | None
    """Average g/week rounded half up to 0.1; none when not computable."""
    above_limit: bool | None
    """True when the exact average exceeds the limit; none when not computable or no limit."""
    reason: str | None = None
    """Why it is not computable."""


def average_grams_per_week(
    dispensed_g: Decimal,
    dispensed_on: dt.date,
    returned_g: Decimal,
    returned_on: dt.date,
    limit_g_per_week: Decimal | None,
) -> WeeklyUse:
    """The average weekly use of one tube between dispensing and return (see the module table)."""
    days = (returned_on - dispensed_on).days
    if days <= 0:
        return WeeklyUse(None, None, f"the return ({returned_on}) is not after the dispensing ({dispensed_on})")
    used = dispensed_g - returned_g
    if used < 0:
        return WeeklyUse(None, None, f"the returned weight {returned_g} g exceeds the dispensed weight {dispensed_g} g")
    exact = Fraction(used) * 7 / days
    shown = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    above = None if limit_g_per_week is None else exact > Fraction(limit_g_per_week)
    return WeeklyUse(shown, above)
