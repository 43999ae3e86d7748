"""The visit schedule of one subject, generated from the protocol's visits and the first treatment date.

``target date = first treatment date + offset_days``; the window runs from ``target − before`` to ``target + after``.
Study days follow CDISC SDTM: day 1 is the first treatment date, the day before it is day −1, and there is no day 0
(``study_day = offset + 1`` from day 1 on, ``offset`` before it). With a first treatment on 2019-08-01:

| visit    | offset | study day | target     | window                  |
|----------|--------|-----------|------------|-------------------------|
| day1     | 0      | 1         | 2019-08-01 | 2019-08-01 – 2019-08-01 |
| week12   | 84     | 85        | 2019-10-24 | 2019-10-21 – 2019-10-27 |
| screening| −1     | −1        | 2019-07-31 | 2019-07-04 – 2019-07-31 |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from dermtrial.protocol.model import Visit


def study_day(first_treatment: dt.date, day: dt.date) -> int:
    """CDISC study day of ``day``: 1 on the first treatment date, −1 the day before; never 0."""
    offset = (day - first_treatment).days
    return offset + 1 if offset >= 0 else offset


@dataclass(frozen=True)
class PlannedVisit:
    """One visit of a subject's schedule."""

    visit_id: str
    """The protocol visit id."""
    label: str
    """As shown."""
    study_day: int
    """CDISC study day of the target."""
    target_date: dt.date
    """Target date."""
    window_start: dt.date
    """First day inside the window."""
    window_end: dt.date
    """Last day inside the window."""
    forms: tuple[str, ...]
    """Form codes expected at the visit."""

    def to_json(self) -> dict[str, object]:
        """The JSON shape of ``dermtrial schedule --json``."""
        return {
            "name": self.visit_id,
            "study_day": self.study_day,
            "target_date": self.target_date.isoformat(),
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
        }


def plan_visit(visit: Visit, first_treatment: dt.date) -> PlannedVisit:
    """Place one protocol visit around the first treatment date."""
    target = first_treatment + dt.timedelta(days=visit.offset_days)
    return PlannedVisit(
        visit_id=visit.id,
        label=visit.label,
        study_day=visit.study_day,
        target_date=target,
        window_start=target - dt.timedelta(days=visit.window.before),
        window_end=target + dt.timedelta(days=visit.window.after),
        forms=tuple(visit.forms),
    )


def plan_schedule(visits: Sequence[Visit], first_treatment: dt.date) -> list[PlannedVisit]:
    """Every visit of the protocol, in target order."""
    return sorted((plan_visit(v, first_treatment) for v in visits), key=lambda p: (p.target_date, p.visit_id))
