"""Visit status: planned, done, missed or out of window.

| visit date       | today vs window end | status         |
|------------------|---------------------|----------------|
| none             | on or before        | planned        |
| none             | after               | missed         |
| inside window    | any                 | done           |
| outside window   | any                 | out_of_window  |

A visit recorded as not done (with a reason) is ``missed`` whatever the date.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from dermtrial.conduct.schedule import PlannedVisit
from dermtrial.conduct.windows import classify_window

VisitStatus = Literal["planned", "done", "missed", "out_of_window"]


def derive_visit_status(
    planned: PlannedVisit, visit_date: dt.date | None, today: dt.date, *, not_done: bool = False
) -> VisitStatus:
    """The status of a planned visit on ``today`` (see the module table)."""
    if not_done:
        return "missed"
    if visit_date is None:
        return "missed" if today > planned.window_end else "planned"
    return "done" if classify_window(planned, visit_date) == "in_window" else "out_of_window"


def is_overdue(planned: PlannedVisit, today: dt.date) -> bool:
    """True once the window has closed (a form still missing is then overdue)."""
    return today > planned.window_end
