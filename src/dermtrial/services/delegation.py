"""The delegation log of a site: which tasks the principal investigator delegates to whom, from when to when.

ICH E6(R3) lets the investigator delegate trial-related duties to qualified staff and asks for a record of it. Here
the log is data that the permission checks read: a task that needs delegation (assessing PASI or sPGA, signing
eligibility, assessing causality, signing forms) is allowed by :func:`require_delegated` only when the user's role
holds the permission **and** the log delegates the task to them at that site on the site's date, or when they keep
the log themselves (they hold ``delegation.manage`` there: the principal investigator).

Each task names the permission the delegate's role must hold, so that a task is never delegated to someone whose
role cannot do it (a coordinator is not delegated causality assessment).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermtrial.services.access import Actor, find_site
from dermtrial.services.errors import Conflict, NotFound, PermissionDenied
from dermtrial.services.records import check_text, refuse, site_today
from dermtrial.services.studies import only_study
from dermtrial.services.uow import ServiceUnitOfWork, reading, unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import Delegation, RoleGrant, RolePermission, Site, User

#: Task → (what it allows, the permission the delegate's role must hold).
TASKS: dict[str, tuple[str, str]] = {
    "assess": ("assess efficacy: PASI, sPGA, BSA and the other investigator-rated instruments", "form.write"),
    "sign-eligibility": ("sign a subject's eligibility decision", "eligibility.sign"),
    "assess-causality": ("assess whether an adverse event is related to a study product", "ae.assess-causality"),
    "sign-forms": ("sign case report forms electronically", "form.sign"),
}


def check_task(task: str) -> str:
    """Refuse a task that is not in :data:`TASKS`, listing those that are."""
    if task not in TASKS:
        raise refuse("task", task, f"not a delegable task: expected one of {', '.join(TASKS)}")
    return task


def _holds_at(session: Session, user_id: int, permission: str, site_id: int) -> bool:
    query = (
        select(RoleGrant.id)
        .join(RolePermission, RolePermission.role_code == RoleGrant.role_code)
        .where(
            RoleGrant.user_id == user_id,
            RoleGrant.revoked_at.is_(None),
            RolePermission.permission_code == permission,
            (RoleGrant.site_id == site_id) | RoleGrant.site_id.is_(None),
        )
    )
    return session.scalars(query).first() is not None


def _overlaps(a_start: dt.date, a_end: dt.date | None, b_start: dt.date, b_end: dt.date | None) -> bool:
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def delegations_on(session: Session, user_id: int, site_id: int, task: str, on_date: dt.date) -> list[Delegation]:
    """The log entries delegating ``task`` to the user at the site that cover ``on_date`` (site local date)."""
    query = select(Delegation).where(
        Delegation.user_id == user_id,
        Delegation.site_id == site_id,
        Delegation.task == task,
        Delegation.start_date <= on_date,
        (Delegation.end_date.is_(None)) | (Delegation.end_date >= on_date),
    )
    return list(session.scalars(query))


def require_delegated(work: ServiceUnitOfWork, permission: str, task: str, site: Site) -> str:
    """Check ``permission`` at ``site`` and that ``task`` is delegated to the actor there today (site date).

    The keeper of the site's log (``delegation.manage`` there) needs no delegation. Returns the role that allowed the
    action; raises :class:`PermissionDenied` naming the task, the site and the date otherwise.
    """
    check_task(task)
    role = work.require(permission, site.id)
    assert work.actor is not None
    if _holds_at(work.session, work.actor.user_id, "delegation.manage", site.id):
        return role
    today = site_today(site, work.now)
    if not delegations_on(work.session, work.actor.user_id, site.id, task, today):
        raise PermissionDenied(
            f'user "{work.actor.username}" is not delegated the task {task} at site {site.code} on {today} '
            f"(the site's delegation log must list it for that date)",
            path=("delegation",),
            value=task,
        )
    return role


def delegate_task(
    db: Database,
    actor: Actor,
    *,
    site_code: str,
    username: str,
    task: str,
    start_date: dt.date,
    now: dt.datetime,
    end_date: dt.date | None = None,
    study_id: int | None = None,
) -> int:
    """Add an entry to the site's delegation log (``delegation.manage`` at the site). Returns the entry's id."""
    check_task(task)
    if end_date is not None and end_date < start_date:
        raise refuse("end_date", end_date.isoformat(), f"the last day must be on or after the first, {start_date}")
    study_id = study_id if study_id is not None else only_study(db)
    with unit_of_work(db, actor=actor, now=now) as work:
        site = find_site(work.session, study_id, site_code)
        work.require("delegation.manage", site.id)
        user = work.session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            raise NotFound(f'no user "{username}"', path=("username",), value=username)
        needed = TASKS[task][1]
        if not user.active or not _holds_at(work.session, user.id, needed, site.id):
            raise refuse(
                "username",
                username,
                f"the task {task} can be delegated only to an active user whose role holds {needed} at site "
                f"{site_code}",
            )
        for entry in work.session.scalars(
            select(Delegation).where(
                Delegation.user_id == user.id, Delegation.site_id == site.id, Delegation.task == task
            )
        ):
            if _overlaps(entry.start_date, entry.end_date, start_date, end_date):
                raise Conflict(
                    f"{username} is already delegated {task} at site {site_code} from {entry.start_date} to "
                    f"{entry.end_date or 'open'} (entry {entry.id}); end it or choose other dates",
                    path=("start_date",),
                    value=start_date.isoformat(),
                )
        entry = Delegation(
            site_id=site.id,
            user_id=user.id,
            task=task,
            start_date=start_date,
            end_date=end_date,
            delegated_by_user_id=actor.user_id,
        )
        work.add(entry, study_id=study_id, site_code=site_code)
        return entry.id


def end_delegation(
    db: Database, actor: Actor, *, delegation_id: int, end_date: dt.date, reason: str, now: dt.datetime
) -> None:
    """Set the last day of a delegation (early end, with a reason; ``delegation.manage`` at its site)."""
    reason = check_text("reason", reason, what="a reason for ending the delegation")
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        entry = work.session.get(Delegation, delegation_id)
        if entry is None:
            raise NotFound(f"no delegation {delegation_id}", path=("delegation_id",), value=delegation_id)
        site = work.session.get_one(Site, entry.site_id)
        work.require("delegation.manage", site.id)
        if end_date < entry.start_date:
            raise refuse(
                "end_date", end_date.isoformat(), f"the last day must be on or after the first, {entry.start_date}"
            )
        if entry.end_date is not None and end_date > entry.end_date:
            raise refuse("end_date", end_date.isoformat(), f"the delegation already ends on {entry.end_date}")
        work.change(
            entry,
            {"end_date": end_date, "ended_reason": reason},
            expected_version=None,
            study_id=site.study_id,
            site_code=site.code,
        )


@dataclass(frozen=True)
class DelegationView:
    """One line of a site's delegation log."""

    id: int
    username: str
    full_name: str
    task: str
    start_date: dt.date
    end_date: dt.date | None
    delegated_by: str
    ended_reason: str | None


def delegation_log(db: Database, actor: Actor, *, site_code: str, study_id: int | None = None) -> list[DelegationView]:
    """The site's delegation log in entry order (``subject.read`` or ``delegation.manage`` at the site)."""
    study_id = study_id if study_id is not None else only_study(db)
    with reading(db, actor=actor) as ctx:
        site = find_site(ctx.session, study_id, site_code)
        try:
            ctx.require("delegation.manage", site.id)
        except PermissionDenied:
            ctx.require("subject.read", site.id)
        users = {user.id: user for user in ctx.session.scalars(select(User))}
        entries = ctx.session.scalars(select(Delegation).where(Delegation.site_id == site.id).order_by(Delegation.id))
        return [
            DelegationView(
                e.id,
                users[e.user_id].username,
                users[e.user_id].full_name,
                e.task,
                e.start_date,
                e.end_date,
                users[e.delegated_by_user_id].username,
                e.ended_reason,
            )
            for e in entries
        ]
