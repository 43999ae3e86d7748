"""Calcipotriol: average g/week between weighings; 100.0 g/week no alert, 100.1 alert."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dermtrial.conduct import average_grams_per_week

OUT = dt.date(2019, 8, 1)
LIMIT = Decimal(100)


@pytest.mark.parametrize(
    ("dispensed", "returned", "days", "shown", "alert"),
    [
        ("250.0", "50.0", 14, "100.0", False),  # exactly the limit: no alert
        ("250.2", "50.0", 14, "100.1", True),  # 100.1: alert
        ("100.0", "0.0", 7, "100.0", False),
        ("30.0", "0.0", 3, "70.0", False),
    ],
)
@pytest.mark.requirement("CLIN-OINT-01")
def test_weekly_average_and_alert(dispensed: str, returned: str, days: int, shown: str, alert: bool) -> None:
    use = average_grams_per_week(Decimal(dispensed), OUT, Decimal(returned), OUT + dt.timedelta(days=days), LIMIT)
    assert use.grams_per_week == Decimal(shown)
    assert use.above_limit is alert


def test_same_day_return_is_not_computable() -> None:
    use = average_grams_per_week(Decimal(120), OUT, Decimal(90), OUT, LIMIT)
    assert use.grams_per_week is None
    assert use.reason is not None


def test_return_heavier_than_dispensed_is_not_computable() -> None:
    use = average_grams_per_week(Decimal(50), OUT, Decimal(60), OUT + dt.timedelta(days=7), LIMIT)
    assert use.above_limit is None
    assert "exceeds" in (use.reason or "")
