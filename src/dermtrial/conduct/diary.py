"""Diary compliance: applications done ÷ applications expected × 100, rounded half up to 0.1 %.

Expected = days × applications per day (BID: 2). 26 of 28 → 92.9 %; none expected → not computable.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PER_DAY = {"QD": 1, "BID": 2, "TID": 3}
"""Applications per day of each daily frequency."""


@dataclass(frozen=True)
class Compliance:
    """Diary compliance, or why it cannot be computed."""

    percent: Decimal | None
    """Done ÷ expected × 100, rounded half up to 0.1."""
    reason: str | None = None
    """Why it is not computable."""


def expected_applications(days: int, frequency: str) -> int | None:
    """How many applications ``days`` days of ``frequency`` call for; none for a frequency that is not daily."""
    per_day = PER_DAY.get(frequency)
    return None if per_day is None or days < 0 else days * per_day


def score_diary_compliance(done: int, expected: int | None) -> Compliance:
    """Compliance from the diary counts (more than expected is reported as it is, above 100 %)."""
    if expected is None or expected <= 0:
        return Compliance(None, "no applications were expected in the period")
    if done < 0:
        return Compliance(None, f"{done} applications done is negative")
    percent = (Decimal(done) * 100 / Decimal(expected)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Compliance(percent)
