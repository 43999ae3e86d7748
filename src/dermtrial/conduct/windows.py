"""Visit windows: is a date early, inside or late for a planned visit?

Inclusive at both edges. Week 12 (study day 85, ±3): study days 82 and 88 are inside, 81 is early, 89 late.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from dermtrial.conduct.schedule import PlannedVisit

WindowClass = Literal["early", "in_window", "late"]


def classify_window(planned: PlannedVisit, day: dt.date) -> WindowClass:
    """Where ``day`` falls against the visit's window (edges inside)."""
    if day < planned.window_start:
        return "early"
    if day > planned.window_end:
        return "late"
    return "in_window"


def days_outside(planned: PlannedVisit, day: dt.date) -> int:
    """How many days ``day`` lies outside the window (0 inside; negative early, positive late)."""
    if day < planned.window_start:
        return (day - planned.window_start).days
    if day > planned.window_end:
        return (day - planned.window_end).days
    return 0
