"""Window edges: study days 82 and 88 are inside the ±3 window around day 85; 81 and 89 are not."""

from __future__ import annotations

import datetime as dt

import pytest

from dermtrial.conduct import classify_window, days_outside, plan_visit
from dermtrial.protocol.model import Protocol

FIRST = dt.date(2019, 8, 1)


def _on_study_day(day: int) -> dt.date:
    return FIRST + dt.timedelta(days=day - 1)


@pytest.mark.parametrize(
    ("day", "expected", "outside"),
    [
        (81, "early", -1),  # one day before the window
        (82, "in_window", 0),  # first day inside
        (85, "in_window", 0),  # target
        (88, "in_window", 0),  # last day inside
        (89, "late", 1),  # one day after
    ],
)
@pytest.mark.requirement("CLIN-WIN-01")
def test_week12_window_edges(protocol: Protocol, day: int, expected: str, outside: int) -> None:
    week12 = plan_visit(protocol.visit("week12"), FIRST)
    assert classify_window(week12, _on_study_day(day)) == expected
    assert days_outside(week12, _on_study_day(day)) == outside
