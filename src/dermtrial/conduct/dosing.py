"""Weight-based dose per administration: ``dose = amount per kg × weight`` (AD-MSC: 2 × 10⁶ cells/kg).

The weight is the one measured at that visit (``Dose.weight_from``), in kilograms. The arithmetic is exact
(``Decimal``, the protocol's amount read from its decimal text), then a weight cap and a dose cap (the protocol's
``dose.max_weight_kg`` and ``dose.max_dose``, via the rules) and the protocol's rounding step (half up) apply in that
order. Example (2 × 10⁶ cells/kg, no cap, no rounding):

| weight (kg) | dose (cells)  |
|-------------|---------------|
| 62.5        | 125,000,000   |
| 70          | 140,000,000   |
| 48.35       | 96,700,000    |

A fixed dose is returned as is. A weight outside the plausible range is refused (InvalidInput naming the field).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dermtrial.conduct.rules import DEFAULT_RULES, ConductRules
from dermtrial.errors import InvalidInput, Problem
from dermtrial.protocol.model import Dose


@dataclass(frozen=True)
class DoseResult:
    """A computed dose with how it was reached."""

    amount: Decimal
    """The dose per administration."""
    unit: str
    """Its unit (``cell``): the protocol's unit without ``/kg`` for a weight-based dose."""
    weight_kg: Decimal | None
    """The weight used (after any cap); none for a fixed dose."""
    capped: str | None
    """``weight`` or ``dose`` when a cap applied, else none."""

    def to_json(self) -> dict[str, object]:
        """The JSON shape of ``dermtrial dose --json`` (amount as an integer when whole)."""
        amount: int | str = int(self.amount) if self.amount == self.amount.to_integral_value() else str(self.amount)
        return {
            "dose": amount,
            "unit": self.unit,
            "weight_kg": None if self.weight_kg is None else str(self.weight_kg),
            "capped": self.capped,
        }


def exact(value: float | int | str | Decimal) -> Decimal:
    """A number as the decimal it was written as (``2e6`` → ``2000000``), never a binary float's expansion."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def check_weight(weight_kg: Decimal, rules: ConductRules = DEFAULT_RULES) -> None:
    """Refuse a weight that is not a plausible body weight (negative, zero, or outside the rules' range)."""
    if not weight_kg.is_finite() or not rules.weight_min_kg <= weight_kg <= rules.weight_max_kg:
        raise InvalidInput(
            [
                Problem(
                    ("weight_kg",),
                    f"{weight_kg} is not allowed: a body weight from {rules.weight_min_kg} to {rules.weight_max_kg} kg",
                    value=str(weight_kg),
                )
            ]
        )


def _per_kg_unit(unit: str) -> str:
    compact = unit.replace(" ", "")
    return compact[: -len("/kg")] if compact.endswith("/kg") else compact


def compute_dose(dose: Dose, weight_kg: Decimal | None, rules: ConductRules = DEFAULT_RULES) -> DoseResult:
    """The dose for one administration from the weight measured at that visit (see the module docstring)."""
    amount = exact(dose.amount)
    if dose.basis == "fixed":
        return DoseResult(amount, dose.unit, None, None)
    if weight_kg is None:
        raise InvalidInput([Problem(("weight_kg",), "required for a weight-based dose", value=None)])
    check_weight(weight_kg, rules)
    capped: str | None = None
    used = weight_kg
    if rules.weight_cap_kg is not None and used > rules.weight_cap_kg:
        used, capped = rules.weight_cap_kg, "weight"
    total = amount * used
    if rules.dose_cap is not None and total > rules.dose_cap:
        total, capped = rules.dose_cap, "dose"
    if dose.rounding is not None:
        total = (total / dose.rounding).quantize(Decimal(1), rounding=ROUND_HALF_UP) * dose.rounding
    return DoseResult(_plain(total), _per_kg_unit(dose.unit), used, capped)


def _plain(value: Decimal) -> Decimal:
    """Whole numbers without exponent or trailing ``.0`` (``125000000``), fractions without trailing zeros."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
