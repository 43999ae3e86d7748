"""Calcipotriol accountability per tube: dispensed and returned with date, weight and who; the average g/week between
the two weighings (:func:`dermtrial.conduct.average_grams_per_week`), and a safety alert above the label limit.

A tube is two ``exposure`` rows: ``dispensed`` and ``returned`` (``product_unit`` = tube id, ``dose_amount`` = the
weight in g). An average above ``max_use`` (100 g/week) is recorded as a ``safety-alert`` audit event naming the
tube and the average; :func:`ointment_alerts` lists the alerts with the subject's next calcium result (``CA``
collected on or after the return), or none while it is pending.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermtrial.conduct import WeeklyUse, average_grams_per_week
from dermtrial.services.access import Actor
from dermtrial.services.errors import Conflict, NotFound
from dermtrial.services.local_time import check_local
from dermtrial.services.records import check_text, refuse
from dermtrial.services.subjects import load_subject, require_consented
from dermtrial.services.uow import reading, unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import Exposure, LabResult, Subject

INTERVENTION = "calcipotriol"


def _weight(field: str, value: Decimal) -> Decimal:
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(500):
        raise refuse(field, str(value), "a tube weight from 0 to 500 g")
    return value


def dispense_tube(
    db: Database,
    actor: Actor,
    *,
    subject_id: int,
    tube_id: str,
    lot: str,
    expiry: dt.date,
    weight_g: Decimal,
    dispensed_local: str,
    now: dt.datetime,
) -> int:
    """Dispense one weighed tube (``form.write``); returns the exposure id."""
    tube_id = check_text("tube_id", tube_id, what="the tube number", limit=64)
    lot = check_text("lot", lot, what="the lot number", limit=64)
    check_local(dispensed_local, field="dispensed_local")
    _weight("weight_g", weight_g)
    if expiry < dt.date.fromisoformat(dispensed_local[:10]):
        raise refuse(
            "expiry", expiry.isoformat(), f"a tube must not be expired when dispensed on {dispensed_local[:10]}"
        )
    with unit_of_work(db, actor=actor, now=now, reason="tube dispensed") as work:
        ctx = load_subject(work, subject_id, "form.write")
        require_consented(work.session, subject_id, dispensed_local, "dispensed_local")
        if _tube(work.session, subject_id, tube_id, "dispensed") is not None:
            raise Conflict(f"tube {tube_id} is already dispensed to this subject", path=("tube_id",), value=tube_id)
        row = Exposure(
            subject_id=subject_id,
            intervention_code=INTERVENTION,
            kind="dispensed",
            product_unit=tube_id,
            lot_number=lot,
            dose_amount=weight_g,
            dose_unit="g",
            started_local=dispensed_local,
            local_tz=ctx.site.timezone,
            custody={"expiry": expiry.isoformat(), "by": actor.username},
        )
        work.add(row, **ctx.place())
        return row.id


def _tube(session: Session, subject_id: int, tube_id: str, kind: str) -> Exposure | None:
    return session.scalars(
        select(Exposure).where(
            Exposure.subject_id == subject_id,
            Exposure.product_unit == tube_id,
            Exposure.kind == kind,
            Exposure.intervention_code == INTERVENTION,
            Exposure.voided.is_(False),
        )
    ).first()


@dataclass(frozen=True)
class TubeReturned:
    """A returned tube and its weekly use."""

    exposure_id: int
    use: WeeklyUse


def return_tube(
    db: Database,
    actor: Actor,
    *,
    subject_id: int,
    tube_id: str,
    weight_g: Decimal,
    returned_local: str,
    now: dt.datetime,
) -> TubeReturned:
    """Record a returned tube's weight; computes the average g/week and raises a safety alert above the limit."""
    check_local(returned_local, field="returned_local")
    _weight("weight_g", weight_g)
    with unit_of_work(db, actor=actor, now=now, reason="tube returned") as work:
        ctx = load_subject(work, subject_id, "form.write")
        out = _tube(work.session, subject_id, tube_id, "dispensed")
        if out is None or out.started_local is None or out.dose_amount is None:
            raise NotFound(f"tube {tube_id} was not dispensed to this subject", path=("tube_id",), value=tube_id)
        if _tube(work.session, subject_id, tube_id, "returned") is not None:
            raise Conflict(f"tube {tube_id} is already returned", path=("tube_id",), value=tube_id)
        product = ctx.protocol.intervention(INTERVENTION)
        limit = Decimal(str(product.max_use.amount)) if product.max_use is not None else None
        use = average_grams_per_week(
            Decimal(out.dose_amount),
            dt.date.fromisoformat(out.started_local[:10]),
            weight_g,
            dt.date.fromisoformat(returned_local[:10]),
            limit,
        )
        row = Exposure(
            subject_id=subject_id,
            visit_id=out.visit_id,
            intervention_code=INTERVENTION,
            kind="returned",
            product_unit=tube_id,
            lot_number=out.lot_number,
            dose_amount=weight_g,
            dose_unit="g",
            started_local=returned_local,
            local_tz=ctx.site.timezone,
            custody={
                "by": actor.username,
                "grams_per_week": None if use.grams_per_week is None else str(use.grams_per_week),
                "above_limit": use.above_limit,
                "not_computable": use.reason,
            },
        )
        work.add(row, **ctx.place())
        if use.above_limit:
            work.record(
                "safety-alert",
                entity_type="exposure",
                entity_id=str(row.id),
                field="grams_per_week",
                new=str(use.grams_per_week),
                reason=f"calcipotriol {use.grams_per_week} g/week above the {limit} g/week limit (tube {tube_id}); "
                "check the next calcium result",
                **ctx.place(),
            )
        return TubeReturned(row.id, use)


@dataclass(frozen=True)
class OintmentAlert:
    """A weekly use above the limit, with the calcium result that follows it."""

    exposure_id: int
    tube_id: str
    grams_per_week: str
    returned_local: str
    next_calcium_result_id: int | None
    """The first calcium result collected on or after the return; none while pending."""


def ointment_alerts(db: Database, actor: Actor, *, subject_id: int) -> list[OintmentAlert]:
    """Every tube of the subject whose average use was above the limit, linked to the next calcium result."""
    with reading(db, actor=actor) as ctx:
        subject = ctx.session.get(Subject, subject_id)
        if subject is None:
            raise NotFound(f"no subject {subject_id}", path=("subject_id",), value=subject_id)
        ctx.require("subject.read", subject.site_id)
        returned = ctx.session.scalars(
            select(Exposure)
            .where(Exposure.subject_id == subject_id, Exposure.kind == "returned", Exposure.voided.is_(False))
            .order_by(Exposure.id)
        )
        calcium = [
            (r.collected_local or "", r.id)
            for r in ctx.session.scalars(
                select(LabResult).where(
                    LabResult.subject_id == subject_id, LabResult.test_code == "CA", LabResult.voided.is_(False)
                )
            )
        ]
        alerts: list[OintmentAlert] = []
        for row in returned:
            custody = row.custody or {}
            if not custody.get("above_limit") or row.started_local is None:
                continue
            day = row.started_local[:10]
            following = sorted(c for c in calcium if c[0][:10] >= day)
            alerts.append(
                OintmentAlert(
                    row.id,
                    row.product_unit or "",
                    str(custody.get("grams_per_week")),
                    row.started_local,
                    following[0][1] if following else None,
                )
            )
        return alerts
