"""Unscheduled visits stand for a scheduled timepoint only when the protocol allows it."""

from __future__ import annotations

import datetime as dt

from dermtrial.conduct import choose_for_timepoint, may_serve_timepoint, plan_visit
from dermtrial.protocol.model import Protocol

FIRST = dt.date(2019, 8, 1)


def test_default_setting_never_serves(protocol: Protocol) -> None:
    week12 = plan_visit(protocol.visit("week12"), FIRST)
    allowed = protocol.settings.unscheduled_may_serve_timepoint
    assert not may_serve_timepoint(allowed, week12, week12.target_date, scheduled_done=False)


def test_allowed_inside_window_when_scheduled_visit_not_done(protocol: Protocol) -> None:
    week12 = plan_visit(protocol.visit("week12"), FIRST)
    assert may_serve_timepoint(True, week12, week12.window_end, scheduled_done=False)
    assert not may_serve_timepoint(True, week12, week12.window_end, scheduled_done=True)
    assert not may_serve_timepoint(True, week12, week12.window_end + dt.timedelta(days=1), scheduled_done=False)


def test_tie_break_picks_earlier_or_later(protocol: Protocol) -> None:
    week12 = plan_visit(protocol.visit("week12"), FIRST)
    before, after = week12.target_date - dt.timedelta(days=2), week12.target_date + dt.timedelta(days=2)
    assert choose_for_timepoint(week12, [after, before], "earlier") == before
    assert choose_for_timepoint(week12, [before, after], "later") == after
    assert choose_for_timepoint(week12, [week12.window_end + dt.timedelta(days=1)], "earlier") is None
