"""Visits placed from the first treatment date; CDISC study day with no day 0."""

from __future__ import annotations

import datetime as dt

import pytest

from dermtrial.conduct import plan_schedule, study_day
from dermtrial.protocol.model import Protocol

FIRST = dt.date(2019, 8, 1)


@pytest.mark.requirement("CLIN-SCHED-01")
def test_study_day_has_no_day_zero() -> None:
    assert study_day(FIRST, FIRST) == 1
    assert study_day(FIRST, FIRST - dt.timedelta(days=1)) == -1
    assert study_day(FIRST, FIRST + dt.timedelta(days=84)) == 85


@pytest.mark.requirement("CLIN-SCHED-01")
def test_schedule_of_nct03392311(protocol: Protocol) -> None:
    plan = {p.visit_id: p for p in plan_schedule(protocol.visits, FIRST)}
    assert list(plan) == ["screening", "day1", "week2", "week4", "week8", "week12", "week24"]
    week12 = plan["week12"]
    assert week12.study_day == 85
    assert (week12.target_date, week12.window_start, week12.window_end) == (
        dt.date(2019, 10, 24),
        dt.date(2019, 10, 21),
        dt.date(2019, 10, 27),
    )
    screening = plan["screening"]
    assert screening.study_day == -1
    assert (screening.window_start, screening.window_end) == (dt.date(2019, 7, 4), dt.date(2019, 7, 31))
    assert week12.to_json() == {
        "name": "week12",
        "study_day": 85,
        "target_date": "2019-10-24",
        "window_start": "2019-10-21",
        "window_end": "2019-10-27",
    }
