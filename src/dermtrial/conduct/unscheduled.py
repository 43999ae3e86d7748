"""Unscheduled visits (AE follow-up, repeat labs) and whether one may stand for a scheduled timepoint.

The rule is ``settings.unscheduled_may_serve_timepoint`` (default false: only the scheduled visit serves the
timepoint). When true, an unscheduled visit serves a timepoint only if it lies inside that visit's window and the
scheduled visit was not done; of several, the one closest to the target counts, ties broken by
``settings.visit_window_tie_break``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from dermtrial.conduct.schedule import PlannedVisit
from dermtrial.conduct.windows import classify_window


def may_serve_timepoint(
    allowed: bool, planned: PlannedVisit, unscheduled_date: dt.date, *, scheduled_done: bool
) -> bool:
    """Whether an unscheduled visit on ``unscheduled_date`` may stand for ``planned``."""
    return allowed and not scheduled_done and classify_window(planned, unscheduled_date) == "in_window"


def choose_for_timepoint(
    planned: PlannedVisit, dates: Sequence[dt.date], tie_break: Literal["earlier", "later"]
) -> dt.date | None:
    """Of several dates inside the window, the one closest to the target (ties: the earlier or later one)."""
    inside = [d for d in dates if classify_window(planned, d) == "in_window"]
    if not inside:
        return None
    sign = -1 if tie_break == "later" else 1
    return min(inside, key=lambda d: (abs((d - planned.target_date).days), sign * d.toordinal()))
