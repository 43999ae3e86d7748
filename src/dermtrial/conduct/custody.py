"""Chain of custody of one cell product unit, checked at the bedside.

Problems found (each a sentence naming the field, the value and what is allowed):

- the product expired (expiry after preparation) before the infusion started;
- the infusion started later than the allowed time after preparation (the protocol's
  ``custody.max_minutes_preparation_to_start``; default 360 minutes);
- fewer *different* people checked the product's identity than ``custody.identity_check_persons`` (default two);
- viability at release below ``custody.min_viability_percent`` (default 70 %);
- no release certificate recorded.

Each limit's message names where it came from (``protocol interventions.admsc.custody.…`` or ``default``).
Times are site-local naive date-times of the same site.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from dermtrial.conduct.rules import DEFAULT_RULES, ConductRules


@dataclass(frozen=True)
class ProductUnit:
    """One unit of cell product as received, stored and prepared."""

    unit_id: str
    """Bag or vial number."""
    lot: str
    """Batch/lot."""
    donor_code: str
    """Donor code."""
    release_certificate: str | None
    """Release certificate number."""
    cell_count: Decimal
    """Cells in the unit."""
    viability_percent: Decimal
    """Viability at release."""
    volume_ml: Decimal
    """Volume."""
    storage_temperature_c: Decimal
    """Storage temperature."""
    prepared_at: dt.datetime
    """When it was prepared (thawed, diluted)."""
    expires_at: dt.datetime
    """Expiry after preparation."""
    identity_checked_by: tuple[str, ...] = field(default_factory=tuple)
    """The people who checked the unit's identity against the subject at the bedside."""
    disposition: str | None = None
    """What happened to unused product (``destroyed``, ``returned``)."""


def check_custody(unit: ProductUnit, infusion_start: dt.datetime, rules: ConductRules = DEFAULT_RULES) -> list[str]:
    """Every chain-of-custody problem of giving ``unit`` at ``infusion_start`` (empty when none)."""
    problems: list[str] = []
    if unit.expires_at <= unit.prepared_at:
        problems.append(f"expires_at: {unit.expires_at:%Y-%m-%d %H:%M} is not after prepared_at")
    if infusion_start >= unit.expires_at:
        problems.append(
            f"infusion start {infusion_start:%Y-%m-%d %H:%M} is not allowed: the unit expired at "
            f"{unit.expires_at:%Y-%m-%d %H:%M}"
        )
    if infusion_start < unit.prepared_at:
        problems.append(f"infusion start {infusion_start:%Y-%m-%d %H:%M} is before the preparation")
    elapsed = (infusion_start - unit.prepared_at).total_seconds() / 60
    if elapsed > rules.infusion_start_within_minutes:
        problems.append(
            f"infusion started {elapsed:.0f} minutes after preparation: at most "
            f"{rules.infusion_start_within_minutes} allowed ({rules.source('infusion_start_within_minutes')})"
        )
    checkers = {name.strip().casefold() for name in unit.identity_checked_by if name.strip()}
    if len(checkers) < rules.identity_check_people:
        problems.append(
            f"identity_checked_by: {len(checkers)} different people is not allowed: at least "
            f"{rules.identity_check_people} ({rules.source('identity_check_people')})"
        )
    if unit.viability_percent < rules.viability_min_percent:
        problems.append(
            f"viability_percent: {unit.viability_percent} is not allowed: at least {rules.viability_min_percent} "
            f"({rules.source('viability_min_percent')})"
        )
    if not unit.release_certificate:
        problems.append("release_certificate: required before the unit is given")
    return problems
