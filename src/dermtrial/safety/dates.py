"""Partial adverse-event dates (ISO 8601 ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) and how dermtrial imputes them.

The date as entered is always kept; an imputed date is derived beside it and only used for treatment emergence and
study day. The rules (conservative: an event that could have started on or after the first dose is counted as
treatment-emergent):

- **Start date**, day missing: the first day of the month, or the first-dose date when the event's month is the month
  of the first dose and the first dose is later in it.
- **Start date**, month and day missing: 1 January, or the first-dose date when the event's year is the year of the
  first dose.
- **Stop date**, day missing: the last day of the month; month and day missing: 31 December.
- An imputed start is never after the latest day the stop date allows (the stop date, or its imputed last day when
  partial): an event that stopped in March cannot have started at a first dose in July.

Example: first dose 2019-07-23; start "2019-07" → 2019-07-23; "2019-06" → 2019-06-01; "2019" → 2019-07-23;
stop "2019-02" → 2019-02-28.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class PartialDate:
    """A date that may lack its day, or its month and day."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; ValueError naming what is allowed."""
        match = _PATTERN.match(text)
        if match is None:
            raise ValueError(f'"{text}" is not a date: allowed are YYYY, YYYY-MM or YYYY-MM-DD')
        year, month, day = (None if part is None else int(part) for part in match.groups())
        assert year is not None
        try:
            dt.date(year, month or 1, day or 1)
        except ValueError as exc:
            raise ValueError(f'"{text}" is not a calendar date') from exc
        return cls(year, month, day)

    @property
    def complete(self) -> bool:
        """True when year, month and day are all known."""
        return self.day is not None

    def isoformat(self) -> str:
        """The date as entered (``2019-08``)."""
        out = f"{self.year:04d}"
        if self.month is not None:
            out += f"-{self.month:02d}"
            if self.day is not None:
                out += f"-{self.day:02d}"
        return out


def impute_start(start: PartialDate, first_dose: dt.date | None, stop: PartialDate | None = None) -> dt.date:
    """The start date used for treatment emergence and study day (rules in the module docstring)."""
    if start.month is not None and start.day is not None:
        return dt.date(start.year, start.month, start.day)
    if start.month is not None:
        imputed = dt.date(start.year, start.month, 1)
        same_period = first_dose is not None and (first_dose.year, first_dose.month) == (start.year, start.month)
    else:
        imputed = dt.date(start.year, 1, 1)
        same_period = first_dose is not None and first_dose.year == start.year
    if same_period and first_dose is not None and first_dose > imputed:
        imputed = first_dose
    if stop is not None:
        imputed = min(imputed, impute_stop(stop))
    return imputed


def impute_stop(stop: PartialDate) -> dt.date:
    """The stop date used in analysis: the last day of the known month, or 31 December."""
    month = stop.month if stop.month is not None else 12
    day = stop.day if stop.day is not None else calendar.monthrange(stop.year, month)[1]
    return dt.date(stop.year, month, day)


def is_treatment_emergent(start: PartialDate, first_dose: dt.date | None, stop: PartialDate | None = None) -> bool:
    """True when the imputed start is on or after the first dose (False before any dose)."""
    if first_dose is None:
        return False
    return impute_start(start, first_dose, stop) >= first_dose
