"""No study procedure before consent: a procedure dated before the first consent signature is refused.

Compared on site-local values: a date-only procedure on the consent day is allowed (the time is unknown); a timed
procedure must not precede a timed consent.
"""

from __future__ import annotations

import datetime as dt


def check_after_consent(consent: dt.datetime | dt.date | None, procedure: dt.datetime | dt.date) -> str | None:
    """A sentence saying why ``procedure`` may not be done, or none when it may."""
    if consent is None:
        return "no informed consent is recorded: no study procedure may be done"
    if isinstance(consent, dt.datetime) and isinstance(procedure, dt.datetime):
        if procedure < consent:
            return f"{procedure.isoformat()} is before the consent signed at {consent.isoformat()}"
        return None
    consent_day = consent.date() if isinstance(consent, dt.datetime) else consent
    procedure_day = procedure.date() if isinstance(procedure, dt.datetime) else procedure
    if procedure_day < consent_day:
        return f"{procedure_day.isoformat()} is before the consent signed on {consent_day.isoformat()}"
    return None
