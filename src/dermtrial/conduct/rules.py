"""Conduct limits the protocol file does not (yet) carry, with the defaults dermtrial ships.

The registry states the dose (2 × 10⁶ cells/kg) but no tolerance, no weight or dose cap and no hold time for the
prepared cell product. Until the protocol file format carries these, they are passed to the core as one
:class:`ConductRules` value; every default is listed in docs/conduct.md and marked ASSUMED there.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ConductRules:
    """Limits used by the dosing and chain-of-custody checks."""

    weight_min_kg: Decimal = Decimal("20")
    """Lowest plausible adult body weight; a lighter weight is refused as a likely entry error."""
    weight_max_kg: Decimal = Decimal("300")
    """Highest plausible body weight; a heavier weight is refused as a likely entry error."""
    weight_cap_kg: Decimal | None = None
    """Weight above which the dose is computed at the cap (none: no cap)."""
    dose_cap: Decimal | None = None
    """Largest dose per administration, in the dose's unit without ``/kg`` (none: no cap)."""
    dose_tolerance_percent: Decimal = Decimal("10")
    """A dose given further than this from the computed dose (either side) is a deviation."""
    infusion_start_within_minutes: int = 360
    """The infusion must start within this many minutes of the product's preparation."""
    identity_check_people: int = 2
    """How many different people check the product's identity at the bedside."""
    viability_min_percent: Decimal = Decimal("70")
    """Lowest viability at release for a cell product unit to be given."""


DEFAULT_RULES = ConductRules()
"""The shipped defaults."""
