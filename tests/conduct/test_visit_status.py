"""Visit status: planned, done, missed, out of window."""

from __future__ import annotations

import datetime as dt

import pytest

from dermtrial.conduct import derive_visit_status, is_overdue, plan_visit
from dermtrial.protocol.model import Protocol

FIRST = dt.date(2019, 8, 1)
D = dt.date


@pytest.mark.parametrize(
    ("visit_date", "today", "not_done", "expected"),
    [
        (None, D(2019, 10, 27), False, "planned"),  # last day of the window: still planned
        (None, D(2019, 10, 28), False, "missed"),  # window closed
        (D(2019, 10, 21), D(2019, 11, 1), False, "done"),  # first day inside
        (D(2019, 10, 20), D(2019, 11, 1), False, "out_of_window"),
        (None, D(2019, 10, 1), True, "missed"),  # recorded as not done
    ],
)
def test_visit_status(
    protocol: Protocol, visit_date: dt.date | None, today: dt.date, not_done: bool, expected: str
) -> None:
    week12 = plan_visit(protocol.visit("week12"), FIRST)
    assert derive_visit_status(week12, visit_date, today, not_done=not_done) == expected


def test_overdue_after_window_end(protocol: Protocol) -> None:
    week12 = plan_visit(protocol.visit("week12"), FIRST)
    assert not is_overdue(week12, D(2019, 10, 27))
    assert is_overdue(week12, D(2019, 10, 28))
