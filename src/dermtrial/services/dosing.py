"""Infusions of the cell product: the dose computed from the weight measured at that visit, the dose given, the
infusion record and the product unit's chain of custody; and the end of treatment.

The computed dose comes from :func:`dermtrial.conduct.compute_dose`; a dose given outside the tolerance raises a
``dosing`` deviation (major), every chain-of-custody problem a ``custody`` deviation (major). The tolerance, caps
and custody limits are the protocol's (its weight-based intervention's ``dose`` and ``custody``), dermtrial's
defaults only where it leaves one out. The infusion is stored as an ``exposure`` row (kind ``administered``) whose
``custody`` column holds the weight, the computed dose, the product unit's details, vital signs, interruptions,
reactions, the problems found and each limit applied with its value and source (``limits``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from dermtrial.conduct import (
    ProductUnit,
    check_custody,
    check_dose_tolerance,
    check_treatment_status,
    compute_dose,
    rules_for,
)
from dermtrial.forms.model import Form
from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor
from dermtrial.services.deviations import raise_deviation
from dermtrial.services.forms import check_items, find_form
from dermtrial.services.local_time import check_local
from dermtrial.services.records import check_text, refuse
from dermtrial.services.subjects import load_subject, parse_local, require_consented, treatment_status
from dermtrial.services.uow import unit_of_work
from dermtrial.services.visits import visit_row
from dermtrial.store.engine import Database
from dermtrial.store.models import Exposure, FormInstance


@dataclass(frozen=True)
class Infusion:
    """What the bedside records about one infusion (site-local ISO date-times)."""

    visit_code: str
    weight_kg: Decimal
    dose_given: Decimal
    started_local: str
    ended_local: str
    unit: ProductUnit
    vitals_before: dict[str, str] = field(default_factory=dict)
    vitals_after: dict[str, str] = field(default_factory=dict)
    interruptions: list[str] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InfusionRecorded:
    """The stored infusion and what its checks found."""

    exposure_id: int
    computed_dose: Decimal
    within_tolerance: bool | None
    problems: list[str]
    limits: dict[str, dict[str, str | None]] = field(default_factory=dict)
    """Each dosing and custody limit applied, with its value and source (protocol path or ``default``)."""


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


def record_infusion(
    db: Database, actor: Actor, *, subject_id: int, infusion: Infusion, now: dt.datetime
) -> InfusionRecorded:
    """Record one infusion of the weight-based product at a scheduled infusion visit (``form.write``)."""
    check_local(infusion.started_local, field="started_local")
    check_local(infusion.ended_local, field="ended_local")
    if infusion.ended_local < infusion.started_local:
        raise refuse(
            "ended_local", infusion.ended_local, f"the end must not be before the start {infusion.started_local}"
        )
    with unit_of_work(db, actor=actor, now=now, reason="infusion recorded") as work:
        ctx = load_subject(work, subject_id, "form.write")
        product = next((i for i in ctx.protocol.interventions if i.dose and i.dose.basis == "body_weight"), None)
        if product is None or product.dose is None:
            raise refuse("subject_id", subject_id, "the protocol has no weight-based intervention")
        if infusion.visit_code not in product.administered_at:
            raise refuse(
                "visit_code", infusion.visit_code, f"{product.id} is given at {', '.join(product.administered_at)}"
            )
        current, _ = treatment_status(work.session, subject_id)
        if current not in {"not-started", "on-treatment"} or ctx.subject.status != "enrolled":
            raise refuse(
                "subject_id", subject_id, f"no infusion: study status {ctx.subject.status}, treatment {current}"
            )
        require_consented(work.session, subject_id, infusion.started_local, "started_local")
        visit = visit_row(work, ctx, infusion.visit_code)
        if visit.visit_local is None or visit.visit_local[:10] != infusion.started_local[:10]:
            raise refuse(
                "started_local",
                infusion.started_local,
                f"the infusion is given on the day of its visit {infusion.visit_code} "
                f"({visit.visit_local or 'not yet recorded: record the visit first'})",
            )
        rules = rules_for(ctx.protocol, intervention=product)
        computed = compute_dose(product.dose, infusion.weight_kg, rules)
        tolerance = check_dose_tolerance(computed.amount, infusion.dose_given, rules.dose_tolerance_percent)
        start = parse_local(infusion.started_local)
        start_at = start if isinstance(start, dt.datetime) else dt.datetime.combine(start, dt.time())
        problems = check_custody(infusion.unit, start_at, rules)
        if tolerance.within is False:
            raise_deviation(
                work,
                ctx,
                category="dosing",
                description=(
                    f"{infusion.visit_code}: {infusion.dose_given} {computed.unit} given, computed {computed.amount} "
                    f"({tolerance.difference_percent} %, tolerance ±{rules.dose_tolerance_percent} %, "
                    f"{rules.source('dose_tolerance_percent')})"
                ),
                major=True,
                occurred_local=infusion.started_local,
            )
        for problem in problems:
            raise_deviation(
                work,
                ctx,
                category="custody",
                description=f"{infusion.visit_code}: {problem}",
                major=True,
                occurred_local=infusion.started_local,
            )
        exposure = Exposure(
            subject_id=subject_id,
            visit_id=visit.id,
            intervention_code=product.id,
            kind="administered",
            product_unit=infusion.unit.unit_id,
            lot_number=infusion.unit.lot,
            dose_amount=infusion.dose_given,
            dose_unit=computed.unit,
            started_local=infusion.started_local,
            ended_local=infusion.ended_local,
            local_tz=ctx.site.timezone,
            custody=_json(
                {
                    "weight_kg": infusion.weight_kg,
                    "computed_dose": computed.amount,
                    "capped": computed.capped,
                    "difference_percent": tolerance.difference_percent,
                    "unit": asdict(infusion.unit),
                    "vitals_before": infusion.vitals_before,
                    "vitals_after": infusion.vitals_after,
                    "interruptions": infusion.interruptions,
                    "reactions": infusion.reactions,
                    "problems": problems,
                    "limits": rules.evidence(),
                }
            ),
        )
        work.add(exposure, **ctx.place())
        inf, inf_values = _infusion_form(ctx.protocol, infusion, computed.amount)
        form = FormInstance(
            subject_id=subject_id,
            visit_id=visit.id,
            form_code=inf.code,
            form_version=inf.version,
            status="complete",
            item_values=inf_values,
        )
        work.add(form, **ctx.place())
        return InfusionRecorded(exposure.id, computed.amount, tolerance.within, problems, rules.evidence())


def end_treatment(
    db: Database,
    actor: Actor,
    *,
    subject_id: int,
    status: str,
    last_treatment_local: str,
    now: dt.datetime,
    reason: str | None = None,
) -> int:
    """Record the end of treatment (EOT form): ``completed``, or ``discontinued`` with a reason; the subject stays
    in the study (study status unchanged), so "off treatment, still followed" is kept. Returns the form id."""
    check_local(last_treatment_local, field="last_treatment_local")
    with unit_of_work(db, actor=actor, now=now, reason=reason or "treatment completed") as work:
        ctx = load_subject(work, subject_id, "form.write")
        current, _ = treatment_status(work.session, subject_id)
        check_treatment_status(current, status, reason)
        values: dict[str, Any] = {"EOTDAT": last_treatment_local[:10], "EOTSTAT": "COMPLETED"}
        if status == "discontinued":
            values = {
                "EOTDAT": last_treatment_local[:10],
                "EOTSTAT": "OTHER",
                "EOTREAS": check_text("reason", reason, what="a reason"),
            }
        form_def = find_form(ctx.protocol, "EOT")
        check_items(form_def, values, {c.id: {e.code: e.label for e in c.entries} for c in ctx.protocol.codelists})
        form = FormInstance(
            subject_id=subject_id,
            visit_id=None,
            form_code="EOT",
            form_version=form_def.version,
            status="complete",
            item_values=values,
        )
        work.add(form, **ctx.place())
        return form.id


def _infusion_form(protocol: Protocol, infusion: Infusion, computed: Decimal) -> tuple[Form, dict[str, Any]]:
    """The INF form (infusion record and chain of custody) filled from the infusion, checked against its items."""
    form = find_form(protocol, "INF")
    unit = infusion.unit
    values: dict[str, Any] = {
        "INFDAT": infusion.started_local[:10],
        "INFSTTIM": infusion.started_local[11:16],
        "INFENTIM": infusion.ended_local[11:16],
        "WEIGHT": str(infusion.weight_kg),
        "DOSEPLAN": str(computed),
        "DOSEGIV": str(infusion.dose_given),
        "INTERR": bool(infusion.interruptions),
        "REACT": bool(infusion.reactions),
        "LOT": unit.lot,
        "RELEASE": bool(unit.release_certificate),
        "RECVDTC": unit.prepared_at.replace(tzinfo=None).isoformat(timespec="minutes"),
        "VIAB": str(unit.viability_percent),
        "RECVBY": unit.identity_checked_by[0] if unit.identity_checked_by else "",
    }
    check_items(form, values, {c.id: {e.code: e.label for e in c.entries} for c in protocol.codelists})
    return form, values
