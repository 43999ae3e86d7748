"""Conduct limits the protocol file does not (yet) carry, with the defaults dermtrial ships.

The registry states the dose (2 × 10⁶ cells/kg) but no tolerance, no weight or dose cap and no hold time for the
prepared cell product. Until the protocol file format carries these, they are passed to the core as one
:class:`ConductRules` value; every default is listed in docs/conduct.md and marked ASSUMED there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from dermtrial.protocol.model import Protocol


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


def rules_for(protocol: Protocol, base: ConductRules = DEFAULT_RULES) -> ConductRules:
    """The rules with the plausible weight range taken from the protocol's body-weight item (``WEIGHT`` in kg on
    the ``WT`` form, else on any form), when it states one: NCT03392311 allows 30–250 kg."""
    items = [
        item
        for form in sorted(protocol.forms, key=lambda f: f.code != "WT")
        for group in form.item_groups
        for item in group.items
        if item.id == "WEIGHT" and item.unit == "kg"
    ]
    if not items:
        return base
    item = items[0]
    return replace(
        base,
        weight_min_kg=base.weight_min_kg if item.min is None else _decimal(item.min),
        weight_max_kg=base.weight_max_kg if item.max is None else _decimal(item.max),
    )


def _decimal(value: float | int) -> Decimal:
    """``30.0`` → ``30``; ``2.5`` → ``2.5`` (as written, never a float expansion)."""
    number = Decimal(str(value))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number
