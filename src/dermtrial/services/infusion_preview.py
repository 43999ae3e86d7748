"""The infusion screen's read: the dose the protocol prescribes for a weight, before the infusion is recorded.

The same computation :func:`dermtrial.services.dosing.record_infusion` stores (:func:`dermtrial.conduct.compute_dose`
with the protocol's weight-based intervention and its rules: caps, rounding, plausible weights, tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dermtrial.conduct import check_dose_tolerance, compute_dose, rules_for
from dermtrial.services.access import Actor
from dermtrial.services.forms import study_protocol
from dermtrial.services.overview import _subject
from dermtrial.services.records import refuse
from dermtrial.services.uow import reading
from dermtrial.store.engine import Database
from dermtrial.store.models import Subject


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


@dataclass(frozen=True)
class DosePreview:
    """The computed dose for a weight, the weight used, any cap, and how the dose given compares."""

    product: str
    amount: Decimal
    unit: str
    weight_kg: Decimal | None
    capped: str | None
    tolerance_percent: Decimal
    within_tolerance: bool | None
    difference_percent: Decimal | None

    def to_json(self) -> dict[str, Any]:
        """The API representation (decimals as exact text)."""
        return {
            "product": self.product,
            "computed_dose": _plain(self.amount),
            "unit": self.unit,
            "weight_kg": _plain(self.weight_kg),
            "capped": self.capped,
            "tolerance_percent": _plain(self.tolerance_percent),
            "within_tolerance": self.within_tolerance,
            "difference_percent": _plain(self.difference_percent),
        }


def preview_dose(
    db: Database, actor: Actor, *, subject_id: int, weight_kg: Decimal, dose_given: Decimal | None = None
) -> DosePreview:
    """The dose :func:`record_infusion` would compute for ``weight_kg`` (``subject.read``; nothing stored)."""
    with reading(db, actor=actor) as ctx:
        _subject(ctx.session, actor, subject_id)  # 404 for another site's subject
        protocol = study_protocol(ctx.session, ctx.session.get_one(Subject, subject_id).study_id)
    product = next((i for i in protocol.interventions if i.dose and i.dose.basis == "body_weight"), None)
    if product is None or product.dose is None:
        raise refuse("subject_id", subject_id, "the protocol has no weight-based intervention")
    rules = rules_for(protocol, intervention=product)
    computed = compute_dose(product.dose, weight_kg, rules)
    within: bool | None = None
    difference: Decimal | None = None
    if dose_given is not None:
        tolerance = check_dose_tolerance(computed.amount, dose_given, rules.dose_tolerance_percent)
        within, difference = tolerance.within, tolerance.difference_percent
    return DosePreview(
        product.id,
        computed.amount,
        computed.unit,
        computed.weight_kg,
        computed.capped,
        rules.dose_tolerance_percent,
        within,
        difference,
    )
