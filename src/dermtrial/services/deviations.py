"""Protocol deviations: raised by a rule (visit window, dose, chain of custody, prohibited medication) or entered by
hand, and classified major or minor by a named person (the classification is an audited change naming them).
"""

from __future__ import annotations

import datetime as dt

from dermtrial.services.access import Actor
from dermtrial.services.errors import NotFound
from dermtrial.services.records import check_text, locate, refuse
from dermtrial.services.review import after_change, before_change
from dermtrial.services.subjects import SubjectContext, load_subject
from dermtrial.services.uow import ServiceUnitOfWork, unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import Deviation

CATEGORIES = ("visit-window", "dosing", "custody", "conmed", "consent", "eligibility", "procedure", "other")
"""Deviation categories."""


def raise_deviation(
    work: ServiceUnitOfWork,
    ctx: SubjectContext,
    *,
    category: str,
    description: str,
    major: bool,
    occurred_local: str | None,
    source: str = "rule",
) -> Deviation:
    """Store a deviation found by a rule inside the caller's unit of work (audited as a ``create``)."""
    deviation = Deviation(
        site_id=ctx.site.id,
        subject_id=ctx.subject.id,
        category=category,
        description=description,
        major=major,
        occurred_local=occurred_local,
        occurred_tz=ctx.site.timezone if occurred_local else None,
        detected_at=work.now,
        source=source,
    )
    work.add(deviation, **ctx.place())
    return deviation


def report_deviation(
    db: Database,
    actor: Actor,
    *,
    subject_id: int,
    category: str,
    description: str,
    major: bool,
    occurred_local: str | None,
    now: dt.datetime,
) -> int:
    """Enter a deviation by hand (``form.write`` at the subject's site); the person entering it classifies it."""
    if category not in CATEGORIES:
        raise refuse("category", category, f"expected one of {', '.join(CATEGORIES)}")
    description = check_text("description", description, what="a description of the deviation")
    with unit_of_work(db, actor=actor, now=now) as work:
        ctx = load_subject(work, subject_id, "form.write")
        deviation = raise_deviation(
            work,
            ctx,
            category=category,
            description=description,
            major=major,
            occurred_local=occurred_local,
            source="manual",
        )
        work.record(
            "deviation-classified",
            entity_type="deviation",
            entity_id=str(deviation.id),
            field="major",
            new=major,
            reason=f"classified {'major' if major else 'minor'} by {actor.username}",
            **ctx.place(),
        )
        return deviation.id


def classify_deviation(
    db: Database, actor: Actor, *, deviation_id: int, major: bool, reason: str, now: dt.datetime
) -> None:
    """Classify (or re-classify) a deviation major or minor; the audit names the person and the reason."""
    reason = check_text("reason", reason, what="a reason for the classification")
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        deviation = work.session.get(Deviation, deviation_id)
        if deviation is None or deviation.subject_id is None:
            raise NotFound(f"no subject deviation {deviation_id}", path=("deviation_id",), value=deviation_id)
        ctx = load_subject(work, deviation.subject_id, "form.write")
        located = locate(work.session, "deviation", deviation.id)
        before = before_change(work.session, located)  # a locked deviation is refused; a signature over it lapses
        work.change(deviation, {"major": major}, expected_version=None, reason=reason, **ctx.place())
        after_change(work, located, before)
        work.record(
            "deviation-classified",
            entity_type="deviation",
            entity_id=str(deviation.id),
            field="major",
            new=major,
            reason=f"classified {'major' if major else 'minor'} by {actor.username}: {reason}",
            **ctx.place(),
        )
