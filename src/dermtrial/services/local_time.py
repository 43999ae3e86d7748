"""Clinical dates and times: the site's local value as ISO 8601 text beside its IANA zone, never converted to UTC.

A visit at 07:30 in Guangzhou is stored as ``2026-03-04T07:30`` with ``Asia/Shanghai``; converting it to UTC would
move it to the previous day (23:30Z on 3 March) and change its study day. Where the form allows a partial date, the
known part is kept (``2026``, ``2026-03``); nothing is invented to fill the rest.

Accepted forms: ``YYYY``, ``YYYY-MM`` (partial only), ``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM`` and
``YYYY-MM-DDTHH:MM:SS``; no offset or ``Z`` (the zone is the site's, stored beside the value).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from dermtrial.services.errors import invalid

_FORM = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?)?)?$")
_ALLOWED = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], site local time without a zone"
_ALLOWED_PARTIAL = "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], site local time without a zone"


def check_local(value: str, *, field: str, partial: bool = False) -> str:
    """Return ``value`` when it is a valid local date or date-time (a partial date when ``partial``); else refuse it
    with :class:`~dermtrial.errors.InvalidInput` naming the field, the value and the forms allowed."""
    allowed = _ALLOWED_PARTIAL if partial else _ALLOWED
    match = _FORM.match(value)
    if match is None:
        raise invalid(field, value, f'"{value}" is not allowed: expected {allowed}')
    year, month, day, hour, minute, second = match.groups()
    if day is None and not partial:
        raise invalid(field, value, f'"{value}" is a partial date, not allowed here: expected {allowed}')
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
        dt.time(int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError as exc:
        raise invalid(field, value, f'"{value}" is not a real date or time ({exc})') from None
    return value


def local_now(now: dt.datetime, zone: str) -> str:
    """The site-local wall-clock time of the UTC instant ``now``, as stored (``2026-03-04T07:30:00``)."""
    return now.astimezone(ZoneInfo(zone)).replace(tzinfo=None).isoformat(timespec="seconds")


def local_date(now: dt.datetime, zone: str) -> dt.date:
    """The site-local calendar date of the UTC instant ``now`` (for "today" at the site)."""
    return now.astimezone(ZoneInfo(zone)).date()
