"""Visits of a subject: the schedule from the protocol, visits done (out of window → a deviation), unscheduled visits,
and who assessed PASI and sPGA (a change of rater is flagged).

The first treatment date is the date of the ``day1`` visit (study day 1); until it is recorded the other visits
have no target. Visit rows are created for every protocol visit at enrollment (``planned``); unscheduled visits are
``UNSCHEDULED`` with a running repeat number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dermtrial.conduct import classify_window, days_outside, flag_rater_changes, plan_visit, study_day
from dermtrial.conduct.schedule import PlannedVisit
from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor
from dermtrial.services.delegation import delegations_on
from dermtrial.services.deviations import raise_deviation
from dermtrial.services.errors import NotFound, PermissionDenied
from dermtrial.services.local_time import check_local
from dermtrial.services.records import check_text, locate, refuse, site_today
from dermtrial.services.review import after_change, before_change
from dermtrial.services.subjects import SubjectContext, load_subject, parse_local, require_consented
from dermtrial.services.uow import ServiceUnitOfWork, unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import AuditEvent, FormInstance, RoleGrant, RolePermission, User, Visit

FIRST_TREATMENT_VISIT = "day1"
UNSCHEDULED = "UNSCHEDULED"
ASSESSED_FORMS = frozenset({"PASI", "SPGA"})


def schedule_visits(work: ServiceUnitOfWork, ctx: SubjectContext) -> list[int]:
    """Create a planned visit row for every protocol visit not yet there (inside the caller's unit of work)."""
    have = set(work.session.scalars(select(Visit.visit_code).where(Visit.subject_id == ctx.subject.id)))
    made: list[int] = []
    for visit in ctx.protocol.visits:
        if visit.id in have:
            continue
        row = Visit(subject_id=ctx.subject.id, visit_code=visit.id, repeat=1, status="planned")
        work.add(row, **ctx.place())
        made.append(row.id)
    return made


def first_treatment_date(session: Session, subject_id: int) -> dt.date | None:
    """The date of the subject's ``day1`` visit, once recorded."""
    value = session.scalars(
        select(Visit.visit_local).where(
            Visit.subject_id == subject_id, Visit.visit_code == FIRST_TREATMENT_VISIT, Visit.voided.is_(False)
        )
    ).first()
    return None if value is None else dt.date.fromisoformat(value[:10])


def planned(protocol: Protocol, visit_code: str, first: dt.date) -> PlannedVisit:
    """The planned visit of ``visit_code`` from the first treatment date."""
    return plan_visit(protocol.visit(visit_code), first)


def visit_row(work: ServiceUnitOfWork, ctx: SubjectContext, visit_code: str) -> Visit:
    row = work.session.scalars(
        select(Visit).where(Visit.subject_id == ctx.subject.id, Visit.visit_code == visit_code, Visit.repeat == 1)
    ).first()
    if row is None:
        known = ", ".join(v.id for v in ctx.protocol.visits)
        raise NotFound(
            f'no visit "{visit_code}" scheduled for this subject ({known})', path=("visit_code",), value=visit_code
        )
    return row


def record_visit(
    db: Database, actor: Actor, *, subject_id: int, visit_code: str, visit_local: str, now: dt.datetime
) -> tuple[int, str]:
    """Record that a scheduled visit took place; returns the visit id and its window class.

    A visit outside its window is recorded as it happened, marked ``out-of-window``, and raises a ``visit-window``
    deviation (minor by default; a named person may re-classify it).
    """
    check_local(visit_local, field="visit_local")
    with unit_of_work(db, actor=actor, now=now, reason="visit done") as work:
        ctx = load_subject(work, subject_id, "form.write")
        if ctx.subject.status not in {"enrolled", "follow-up"} and visit_code != "screening":
            raise refuse(
                "subject_id", subject_id, f"visits are recorded for enrolled subjects; it is {ctx.subject.status}"
            )
        require_consented(work.session, subject_id, visit_local, "visit_local")
        row = visit_row(work, ctx, visit_code)
        day = parse_local(visit_local)
        date = day.date() if isinstance(day, dt.datetime) else day
        first = date if visit_code == FIRST_TREATMENT_VISIT else first_treatment_date(work.session, subject_id)
        where = "in_window"
        if first is not None and visit_code != "screening":
            target = planned(ctx.protocol, visit_code, first)
            where = classify_window(target, date)
            if where != "in_window":
                outside = days_outside(target, date)
                raise_deviation(
                    work,
                    ctx,
                    category="visit-window",
                    description=(
                        f"{visit_code} on {date} (study day {study_day(first, date)}) is {abs(outside)} day(s) "
                        f"{'before' if outside < 0 else 'after'} its window {target.window_start} – {target.window_end}"
                    ),
                    major=False,
                    occurred_local=visit_local,
                )
        status = "done" if where == "in_window" else "out-of-window"
        located = locate(work.session, "visit", row.id)
        before = before_change(work.session, located)  # a visit lock refuses
        work.change(
            row,
            {"status": status, "visit_local": visit_local, "visit_tz": ctx.site.timezone},
            expected_version=None,
            **ctx.place(),
        )
        after_change(work, located, before)
        return row.id, where


def record_unscheduled_visit(
    db: Database, actor: Actor, *, subject_id: int, visit_local: str, reason: str, now: dt.datetime
) -> int:
    """Record an unscheduled visit (AE follow-up, repeat labs) with its reason; returns its id."""
    check_local(visit_local, field="visit_local")
    reason = check_text("reason", reason, what="the reason for the unscheduled visit")
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        ctx = load_subject(work, subject_id, "form.write")
        require_consented(work.session, subject_id, visit_local, "visit_local")
        repeat = (
            work.session.scalar(
                select(func.max(Visit.repeat)).where(Visit.subject_id == subject_id, Visit.visit_code == UNSCHEDULED)
            )
            or 0
        ) + 1
        row = Visit(
            subject_id=subject_id,
            visit_code=UNSCHEDULED,
            repeat=repeat,
            status="done",
            visit_local=visit_local,
            visit_tz=ctx.site.timezone,
            not_done_reason=None,
        )
        work.add(row, **ctx.place())
        return row.id


@dataclass(frozen=True)
class Assessment:
    """Who assessed a PASI or sPGA form, and whether the rater changed from the previous visit."""

    form_id: int
    assessor: str
    rater_changed_from: str | None


def record_assessor(
    db: Database, actor: Actor, *, form_id: int, assessor_username: str, now: dt.datetime
) -> Assessment:
    """Record who assessed a PASI or sPGA form (not who typed it): the assessor must be delegated ``assess`` at the
    site on the visit date (or keep the delegation log). A change from the subject's previous assessor is flagged."""
    with unit_of_work(db, actor=actor, now=now, reason="assessor recorded") as work:
        form = work.session.get(FormInstance, form_id)
        if form is None or form.form_code not in ASSESSED_FORMS:
            raise NotFound(f"no PASI or sPGA form {form_id}", path=("form_id",), value=form_id)
        ctx = load_subject(work, form.subject_id, "form.write")
        user = work.session.scalars(select(User).where(User.username == assessor_username)).one_or_none()
        if user is None:
            raise NotFound(f'no user "{assessor_username}"', path=("assessor_username",), value=assessor_username)
        visit = work.session.get(Visit, form.visit_id) if form.visit_id else None
        on = (
            dt.date.fromisoformat(visit.visit_local[:10])
            if visit and visit.visit_local
            else site_today(ctx.site, work.now)
        )
        keeper = bool(delegations_on(work.session, user.id, ctx.site.id, "assess", on))
        if not keeper and not _keeps_log(work, user.id, ctx):
            raise PermissionDenied(
                f'"{assessor_username}" is not delegated the task assess at site {ctx.site.code} on {on}',
                path=("assessor_username",),
                value=assessor_username,
            )
        previous = _assessors(work.session, ctx.subject.id, form.form_code)
        work.record(
            "assessment",
            entity_type="form_instance",
            entity_id=str(form.id),
            field="assessed_by",
            new=assessor_username,
            **ctx.place(),
        )
        enabled = ctx.protocol.settings.rater_change_flag
        flags = flag_rater_changes(
            [*(("earlier", a) for a in previous[-1:]), ("this", assessor_username)], enabled=enabled
        )
        changed_from = flags[0].previous if flags else None
        if changed_from is not None:
            work.record(
                "rater-change",
                entity_type="form_instance",
                entity_id=str(form.id),
                field="assessed_by",
                old=changed_from,
                new=assessor_username,
                reason=f"{form.form_code} assessor changed from {changed_from} to {assessor_username}",
                **ctx.place(),
            )
        return Assessment(form.id, assessor_username, changed_from)


def _keeps_log(work: ServiceUnitOfWork, user_id: int, ctx: SubjectContext) -> bool:
    """True when the user keeps the site's delegation log (holds ``delegation.manage`` there): no delegation needed."""
    query = (
        select(RoleGrant.id)
        .join(RolePermission, RolePermission.role_code == RoleGrant.role_code)
        .where(
            RoleGrant.user_id == user_id,
            RoleGrant.revoked_at.is_(None),
            RolePermission.permission_code == "delegation.manage",
            (RoleGrant.site_id == ctx.site.id) | RoleGrant.site_id.is_(None),
        )
    )
    return work.session.scalars(query).first() is not None


def _assessors(session: Session, subject_id: int, form_code: str) -> list[str]:
    """Assessors already recorded for the subject's forms of ``form_code``, in entry order.

    The events are looked up by subject (an indexed column), so the cost follows the subject's trail, not the study's.
    """
    form_ids = [
        str(i)
        for i in session.scalars(
            select(FormInstance.id).where(FormInstance.subject_id == subject_id, FormInstance.form_code == form_code)
        )
    ]
    values = session.scalars(
        select(AuditEvent.new_value)
        .where(
            AuditEvent.subject_id == subject_id,
            AuditEvent.event_type == "assessment",
            AuditEvent.entity_type == "form_instance",
            AuditEvent.entity_id.in_(form_ids),
        )
        .order_by(AuditEvent.seq)
    )
    return [str(v).strip('"') for v in values]
