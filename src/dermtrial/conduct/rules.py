"""Conduct limits for dosing and chain of custody, read from the protocol file, with documented defaults.

The protocol carries them on its weight-based intervention: ``dose.tolerance_percent``, ``dose.max_weight_kg``,
``dose.max_dose`` and the ``custody`` block (``max_minutes_preparation_to_start``, ``min_viability_percent``,
``identity_check_persons``). Where a protocol leaves a field out, the default below applies and
:attr:`ConductRules.sources` says so; docs/conduct.md lists the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from dermtrial.protocol.model import Intervention, Protocol

DEFAULT_SOURCE = "default"
"""The source of a limit the protocol does not state."""


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
    sources: Mapping[str, str] = field(default_factory=dict)
    """Where each limit came from: the protocol path (``interventions.admsc.dose.tolerance_percent``); a limit
    not named here is dermtrial's default."""

    def source(self, name: str) -> str:
        """``protocol interventions.admsc.dose.tolerance_percent`` or ``default`` for the limit ``name``."""
        path = self.sources.get(name)
        return DEFAULT_SOURCE if path is None else f"protocol {path}"

    def evidence(self) -> dict[str, dict[str, str | None]]:
        """Every dosing and custody limit with its value and source, as stored with an infusion."""
        names = (
            "dose_tolerance_percent",
            "weight_cap_kg",
            "dose_cap",
            "infusion_start_within_minutes",
            "identity_check_people",
            "viability_min_percent",
        )
        out: dict[str, dict[str, str | None]] = {}
        for name in names:
            value = getattr(self, name)
            out[name] = {"value": None if value is None else str(value), "source": self.source(name)}
        return out


DEFAULT_RULES = ConductRules()
"""The defaults, used where the protocol file leaves a limit out (and reported as ``default``)."""


def rules_for(
    protocol: Protocol, base: ConductRules = DEFAULT_RULES, intervention: Intervention | None = None
) -> ConductRules:
    """The rules for ``intervention`` (default: the protocol's first weight-based one): the dose and custody limits
    the protocol states, its plausible weight range from the body-weight item (``WEIGHT`` in kg on the ``WT`` form,
    else on any form; NCT03392311 allows 30–250 kg), and ``base`` for whatever it leaves out."""
    rules = _weight_range(protocol, base)
    product = intervention or next(
        (i for i in protocol.interventions if i.dose is not None and i.dose.basis == "body_weight"), None
    )
    if product is None:
        return rules
    changes: dict[str, object] = {}
    sources = dict(rules.sources)
    where = f"interventions.{product.id}"
    if product.dose is not None:
        dose = product.dose
        if dose.tolerance_percent is not None:
            changes["dose_tolerance_percent"] = dose.tolerance_percent
            sources["dose_tolerance_percent"] = f"{where}.dose.tolerance_percent"
        # A cap has no default of its own: the protocol's ``null`` (or leaving it out) means no cap.
        changes["weight_cap_kg"], sources["weight_cap_kg"] = dose.max_weight_kg, f"{where}.dose.max_weight_kg"
        changes["dose_cap"], sources["dose_cap"] = dose.max_dose, f"{where}.dose.max_dose"
    if product.custody is not None:
        custody = product.custody
        for name, attr in (
            ("infusion_start_within_minutes", "max_minutes_preparation_to_start"),
            ("viability_min_percent", "min_viability_percent"),
            ("identity_check_people", "identity_check_persons"),
        ):
            if getattr(custody, attr) is not None:
                changes[name] = getattr(custody, attr)
                sources[name] = f"{where}.custody.{attr}"
    return replace(rules, sources=sources, **changes)  # type: ignore[arg-type]


def _weight_range(protocol: Protocol, base: ConductRules) -> ConductRules:
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
