"""Reporting clocks from first knowledge: the site's 24-hour SAE clock; the sponsor's 7-day (fatal or
life-threatening, follow-up 8 days later) and 15-day SUSAR clocks, restarted when new information makes a case
qualify."""

from __future__ import annotations

import datetime as dt

import pytest

from dermtrial.protocol.model import ReportingClocks
from dermtrial.safety.clocks import CaseInformation, due_status, expedited_clock, expedited_report, site_sae_due
from dermtrial.safety.susar import ProductAssessment

CLOCKS = ReportingClocks()
DAY0 = dt.date(2019, 8, 1)
CELLS_SUSAR = (ProductAssessment("admsc", related=True, expected=False),)


@pytest.mark.requirement("CLIN-CLOCK-01")
def test_site_reports_an_sae_within_24_hours() -> None:
    aware = dt.datetime(2019, 8, 1, 15, 30, tzinfo=dt.UTC)
    assert site_sae_due(aware, CLOCKS) == dt.datetime(2019, 8, 2, 15, 30, tzinfo=dt.UTC)


@pytest.mark.requirement("CLIN-CLOCK-01")
def test_fatal_or_life_threatening_susar_is_due_in_7_days_with_follow_up_8_days_later() -> None:
    report = expedited_report(DAY0, True, True, CELLS_SUSAR, CLOCKS)
    assert report.to_json() == {
        "expedited": True,
        "products": ["admsc"],
        "due_date": "2019-08-08",
        "clock_days": 7,
        "follow_up_due_date": "2019-08-16",
    }


@pytest.mark.requirement("CLIN-CLOCK-01")
def test_other_susar_is_due_in_15_days() -> None:
    report = expedited_report(DAY0, True, False, CELLS_SUSAR, CLOCKS)
    assert (report.due_date, report.clock_days, report.follow_up_due_date) == (dt.date(2019, 8, 16), 15, None)


def test_no_susar_no_clock() -> None:
    expected_for_calcipotriol = (ProductAssessment("calcipotriol", related=True, expected=True),)
    assert expedited_report(DAY0, True, True, expected_for_calcipotriol, CLOCKS).to_json() == {
        "expedited": False,
        "products": [],
        "due_date": None,
        "clock_days": None,
        "follow_up_due_date": None,
    }


@pytest.mark.requirement("CLIN-CLOCK-01")
def test_clock_restarts_when_new_information_makes_the_case_qualify() -> None:
    not_related = (ProductAssessment("admsc", related=False, expected=False),)
    history = [
        CaseInformation(DAY0, True, False, not_related),
        CaseInformation(dt.date(2019, 8, 10), True, False, CELLS_SUSAR),  # causality revised: day 0 is 10 August
    ]
    report = expedited_clock(history, CLOCKS)
    assert (report.day_zero, report.due_date) == (dt.date(2019, 8, 10), dt.date(2019, 8, 25))


def test_a_15_day_case_that_becomes_fatal_gets_a_7_day_clock_from_the_new_information() -> None:
    history = [
        CaseInformation(DAY0, True, False, CELLS_SUSAR),
        CaseInformation(dt.date(2019, 8, 3), True, True, CELLS_SUSAR),
    ]
    report = expedited_clock(history, CLOCKS)
    assert (report.due_date, report.clock_days, report.follow_up_due_date) == (
        dt.date(2019, 8, 10),
        7,
        dt.date(2019, 8, 18),
    )
    late = [history[0], CaseInformation(dt.date(2019, 8, 14), True, True, CELLS_SUSAR)]
    assert expedited_clock(late, CLOCKS).due_date == dt.date(2019, 8, 16)  # the earlier 15-day due date stands


def test_due_status() -> None:
    assert due_status(DAY0, dt.date(2019, 7, 31)) == "open"
    assert due_status(DAY0, DAY0) == "due_today"
    assert due_status(DAY0, dt.date(2019, 8, 2)) == "overdue"
