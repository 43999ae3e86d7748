"""Building :class:`dermtrial.services.dosing.Infusion` from the infusion screen or the API body (text → values; the
service checks every rule)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from dermtrial.conduct import ProductUnit
from dermtrial.errors import InvalidInput, Problem
from dermtrial.services.dosing import Infusion

NUMBERS = ("weight_kg", "dose_given", "cell_count", "viability_percent", "volume_ml", "storage_temperature_c")
TIMES = ("started_local", "ended_local", "prepared_at", "expires_at")


def infusion_from_fields(visit_code: str, fields: dict[str, str]) -> Infusion:
    """The infusion of the screen's fields; InvalidInput naming every field that is not a number or a date-time."""
    problems: list[Problem] = []
    numbers: dict[str, Decimal] = {}
    for name in NUMBERS:
        try:
            numbers[name] = Decimal(fields.get(name, "").strip())
            if not numbers[name].is_finite():
                raise InvalidOperation
        except InvalidOperation:
            problems.append(Problem((name,), "not a number", value=fields.get(name, "")))
    times: dict[str, dt.datetime] = {}
    for name in TIMES:
        try:
            times[name] = dt.datetime.fromisoformat(fields.get(name, "").strip())
        except ValueError:
            problems.append(Problem((name,), "not a date and time (YYYY-MM-DDTHH:MM)", value=fields.get(name, "")))
    if problems:
        raise InvalidInput(problems)
    checked = tuple(n.strip() for n in fields.get("identity_checked_by", "").split(",") if n.strip())
    unit = ProductUnit(
        unit_id=fields.get("unit_id", "").strip(),
        lot=fields.get("lot", "").strip(),
        donor_code=fields.get("donor_code", "").strip(),
        release_certificate=fields.get("release_certificate", "").strip() or None,
        cell_count=numbers["cell_count"],
        viability_percent=numbers["viability_percent"],
        volume_ml=numbers["volume_ml"],
        storage_temperature_c=numbers["storage_temperature_c"],
        prepared_at=times["prepared_at"],
        expires_at=times["expires_at"],
        identity_checked_by=checked,
    )
    reactions = [r.strip() for r in fields.get("reactions", "").splitlines() if r.strip()]
    return Infusion(
        visit_code=visit_code,
        weight_kg=numbers["weight_kg"],
        dose_given=numbers["dose_given"],
        started_local=fields["started_local"].strip()[:16],
        ended_local=fields["ended_local"].strip()[:16],
        unit=unit,
        reactions=reactions,
    )
