"""Locks on a form, a visit, a subject or the whole study; writes to locked records are refused.

A lock on a level covers everything below it: the study lock covers every record, a subject lock the subject's
visits, forms and other records, a visit lock its forms. Write services call :func:`ensure_unlocked` before they
change a record, and get :class:`RecordLocked` naming the lock (level, who, when, why).

Forms, visits and subjects are locked and unlocked by one person holding ``lock.record`` at the subject's site.
The study is locked and unlocked under the two-person rule: one holder of ``lock.study`` requests it with a reason
(:func:`request_study_lock`, :func:`request_study_unlock`) and *another* confirms it (:func:`confirm_study_lock`,
:func:`confirm_study_unlock`); the requester cannot confirm their own request, and a request can be withdrawn.
The study lock's row records both people: ``locked_by_user_id`` / ``second_user_id`` for the lock and
``unlocked_by_user_id`` / ``unlock_second_user_id`` for the unlock; a lock takes effect when confirmed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Literal

from sqlalchemy import Integer, Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from dermtrial.services.access import Actor
from dermtrial.services.errors import Conflict, NotFound, PermissionDenied
from dermtrial.services.records import Located, check_text, locate, refuse
from dermtrial.services.studies import only_study
from dermtrial.services.uow import ServiceUnitOfWork, reading, unit_of_work
from dermtrial.store.audit import format_utc
from dermtrial.store.engine import Database, batch_memo
from dermtrial.store.models import RecordLock, Study, User

RECORD_LEVELS: dict[str, str] = {"form": "form_instance", "visit": "visit", "subject": "subject"}
"""Lockable levels below the study → the table of the record locked."""

StudyLockState = Literal["unlocked", "lock-requested", "locked", "unlock-requested"]


class RecordLocked(Conflict):
    """A write to a record under a lock (its own, or its visit's, subject's or the study's)."""


def _effective(query: Select[RecordLock]) -> Select[RecordLock]:
    return query.where(
        RecordLock.unlocked_at.is_(None),
        or_(RecordLock.level != "study", RecordLock.second_user_id.is_not(None)),
    )


def hold_study(session: Session, study_id: int, *, exclusive: bool) -> None:
    """Lock the study's row until the transaction ends: shared by writes checking locks, exclusive by lock changes.

    On PostgreSQL this orders a write and a concurrent lock: the lock waits for writes that checked before it, and
    writes wait for the lock, then see it. On SQLite the single writer already orders them: nothing is read.
    """
    if session.get_bind().dialect.name == "sqlite":
        return
    memo, key = batch_memo(session), ("hold_study", study_id)
    if not exclusive and memo is not None and key in memo:
        return  # held for the rest of the batch's transaction
    session.execute(select(Study.id).where(Study.id == study_id).with_for_update(read=not exclusive)).first()
    if memo is not None:
        memo[key] = True


def locks_covering(session: Session, located: Located) -> list[RecordLock]:
    """The locks in force on the located record: the study's, its subject's, its visit's and its form's."""
    keys = {"study_id": located.study_id, "subject": located.subject_id, "visit": located.visit_id}
    keys["form"] = located.form_id
    memo, key = batch_memo(session), ("locks_covering", *keys.values())
    if memo is not None and key in memo:
        return list(memo[key])
    found = sorted(session.scalars(_covering_query(), keys), key=lambda lock: (_ORDER.index(lock.level), lock.id))
    if memo is not None:
        memo[key] = tuple(found)
    return found


@cache
def _covering_query() -> Select[RecordLock]:
    """Built once, as every write checks it; a level whose key is None compares ``entity_id = NULL``: never true."""
    levels = [RecordLock.level == "study"]
    for level in ("subject", "visit", "form"):
        levels.append(and_(RecordLock.level == level, RecordLock.entity_id == bindparam(level, type_=Integer)))
    return _effective(select(RecordLock)).where(RecordLock.study_id == bindparam("study_id"), or_(*levels))


_ORDER = ("study", "subject", "visit", "form")


def _describe(session: Session, lock: RecordLock) -> str:
    user = session.get(User, lock.locked_by_user_id)
    second = session.get(User, lock.second_user_id) if lock.second_user_id is not None else None
    what = "the study" if lock.level == "study" else f"{lock.level} {lock.entity_id}"
    who = (user.username if user else "?") + (f" and {second.username}" if second else "")
    why = f' ("{lock.reason}")' if lock.reason else ""
    return f"{what} was locked at {format_utc(lock.locked_at)} by {who}{why}"


def ensure_unlocked(session: Session, located: Located) -> None:
    """Raise :class:`RecordLocked` when a lock covers the located record (a write to it would be refused)."""
    hold_study(session, located.study_id, exclusive=False)
    locks = locks_covering(session, located)
    if locks:
        raise RecordLocked(
            f"{located.name} is locked: {_describe(session, locks[0])}; it can be changed only after unlocking",
            path=("lock",),
            value=locks[0].level,
        )


def ensure_study_unlocked(session: Session, study_id: int) -> None:
    """Raise :class:`RecordLocked` while the study is locked."""
    hold_study(session, study_id, exclusive=False)
    lock = _study_lock(session, study_id)
    if lock is not None and lock.second_user_id is not None and lock.unlocked_at is None:
        raise RecordLocked(
            f"the study is locked: {_describe(session, lock)}; nothing can be changed until it is unlocked",
            path=("lock",),
            value="study",
        )


def _check_level(level: str) -> str:
    if level not in RECORD_LEVELS:
        raise refuse("level", level, "expected one of form, visit, subject")
    return RECORD_LEVELS[level]


def _record_lock(session: Session, study_id: int, level: str, entity_id: int) -> RecordLock | None:
    query = _effective(select(RecordLock)).where(
        RecordLock.study_id == study_id, RecordLock.level == level, RecordLock.entity_id == entity_id
    )
    return session.scalars(query).first()


def lock_record(
    db: Database, actor: Actor, *, level: str, entity_id: int, now: dt.datetime, reason: str | None = None
) -> int:
    """Lock one form, visit or subject (``lock.record`` at its site). Returns the lock's id."""
    table = _check_level(level)
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        located = locate(work.session, table, entity_id)
        work.require("lock.record", located.site.id)
        hold_study(work.session, located.study_id, exclusive=True)
        if getattr(located.record, "voided", False):
            raise refuse("entity_id", entity_id, f"{located.name} is voided; a voided record is not locked")
        if _record_lock(work.session, located.study_id, level, entity_id) is not None:
            raise Conflict(f"{level} {entity_id} is already locked", path=("entity_id",), value=entity_id)
        lock = RecordLock(
            study_id=located.study_id,
            level=level,
            entity_id=entity_id,
            locked_at=now,
            locked_by_user_id=actor.user_id,
            reason=reason.strip() if reason else None,
        )
        work.add(lock, **located.audit_place())
        return lock.id


def unlock_record(db: Database, actor: Actor, *, level: str, entity_id: int, reason: str, now: dt.datetime) -> None:
    """Unlock one form, visit or subject, with a reason (``lock.record`` at its site)."""
    table = _check_level(level)
    reason = check_text("reason", reason, what="a reason for unlocking")
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        located = locate(work.session, table, entity_id)
        work.require("lock.record", located.site.id)
        hold_study(work.session, located.study_id, exclusive=True)
        lock = _record_lock(work.session, located.study_id, level, entity_id)
        if lock is None:
            raise NotFound(f"{level} {entity_id} is not locked", path=("entity_id",), value=entity_id)
        changes = {"unlocked_at": now, "unlocked_by_user_id": actor.user_id, "unlock_reason": reason}
        work.change(lock, changes, expected_version=None, **located.audit_place())


# -- the study lock, under the two-person rule ------------------------------------------------------------------------
def _study_lock(session: Session, study_id: int) -> RecordLock | None:
    """The study's current lock row: pending, in force or being unlocked (None when unlocked)."""
    query = select(RecordLock).where(
        RecordLock.study_id == study_id, RecordLock.level == "study", RecordLock.unlocked_at.is_(None)
    )
    return session.scalars(query.order_by(RecordLock.id.desc())).first()


def study_lock_state(session: Session, study_id: int) -> StudyLockState:
    """``unlocked``, ``lock-requested`` (awaiting a second person), ``locked`` or ``unlock-requested``."""
    lock = _study_lock(session, study_id)
    if lock is None:
        return "unlocked"
    if lock.second_user_id is None:
        return "lock-requested"
    return "unlock-requested" if lock.unlocked_by_user_id is not None else "locked"


def _study_work(work: ServiceUnitOfWork, study_id: int) -> Study:
    work.require("lock.study")
    hold_study(work.session, study_id, exclusive=True)  # one lock change at a time
    study = work.session.get(Study, study_id)
    if study is None:
        raise NotFound(f"no study {study_id}", path=("study",), value=study_id)
    return study


def _state_error(state: StudyLockState, wanted: str) -> Conflict:
    return Conflict(f"the study is {state}; {wanted}", path=("study_lock",), value=state)


def _second_person(work: ServiceUnitOfWork, requester_id: int | None, what: str) -> None:
    if requester_id == work.who.user_id:
        raise PermissionDenied(
            f'two-person rule: user "{work.who.username}" requested the study {what} and cannot confirm it; '
            "another user holding lock.study must",
            path=("user",),
            value=work.who.username,
        )


def request_study_lock(
    db: Database, actor: Actor, *, reason: str, now: dt.datetime, study_id: int | None = None
) -> int:
    """First step of a study lock: record who asks and why. Returns the lock row's id (in force once confirmed)."""
    reason = check_text("reason", reason, what="a reason for locking the study")
    study_id = study_id if study_id is not None else only_study(db)
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        _study_work(work, study_id)
        state = study_lock_state(work.session, study_id)
        if state != "unlocked":
            raise _state_error(state, "a lock can be requested only while it is unlocked")
        lock = RecordLock(study_id=study_id, level="study", locked_at=now, locked_by_user_id=actor.user_id)
        lock.reason = reason
        work.add(lock, study_id=study_id)
        return lock.id


def confirm_study_lock(db: Database, actor: Actor, *, now: dt.datetime, study_id: int | None = None) -> None:
    """Second step: another holder of ``lock.study`` confirms; the study is locked from ``now``."""
    study_id = study_id if study_id is not None else only_study(db)
    with unit_of_work(db, actor=actor, now=now) as work:
        study = _study_work(work, study_id)
        lock = _study_lock(work.session, study_id)
        state = study_lock_state(work.session, study_id)
        if lock is None or state != "lock-requested":
            raise _state_error(state, "only a requested lock can be confirmed")
        _second_person(work, lock.locked_by_user_id, "lock")
        reason = f"study lock confirmed: {lock.reason}"
        work.change(
            lock,
            {"second_user_id": actor.user_id, "locked_at": now},
            expected_version=None,
            reason=reason,
            study_id=study_id,
        )
        work.change(study, {"status": "locked"}, expected_version=None, reason=reason, study_id=study_id)


def request_study_unlock(
    db: Database, actor: Actor, *, reason: str, now: dt.datetime, study_id: int | None = None
) -> None:
    """First step of a study unlock: who asks and why (the study stays locked until confirmed)."""
    reason = check_text("reason", reason, what="a reason for unlocking the study")
    study_id = study_id if study_id is not None else only_study(db)
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        _study_work(work, study_id)
        lock = _study_lock(work.session, study_id)
        state = study_lock_state(work.session, study_id)
        if lock is None or state != "locked":
            raise _state_error(state, "an unlock can be requested only while it is locked")
        work.change(
            lock,
            {"unlocked_by_user_id": actor.user_id, "unlock_reason": reason},
            expected_version=None,
            study_id=study_id,
        )


def confirm_study_unlock(db: Database, actor: Actor, *, now: dt.datetime, study_id: int | None = None) -> None:
    """Second step: another holder of ``lock.study`` confirms; the study is active again from ``now``."""
    study_id = study_id if study_id is not None else only_study(db)
    with unit_of_work(db, actor=actor, now=now) as work:
        study = _study_work(work, study_id)
        lock = _study_lock(work.session, study_id)
        state = study_lock_state(work.session, study_id)
        if lock is None or state != "unlock-requested":
            raise _state_error(state, "only a requested unlock can be confirmed")
        _second_person(work, lock.unlocked_by_user_id, "unlock")
        reason = f"study unlock confirmed: {lock.unlock_reason}"
        changes = {"unlock_second_user_id": actor.user_id, "unlocked_at": now}
        work.change(lock, changes, expected_version=None, reason=reason, study_id=study_id)
        work.change(study, {"status": "active"}, expected_version=None, reason=reason, study_id=study_id)


def withdraw_study_request(
    db: Database, actor: Actor, *, reason: str, now: dt.datetime, study_id: int | None = None
) -> None:
    """Withdraw a pending study lock or unlock request (any holder of ``lock.study``), with a reason."""
    reason = check_text("reason", reason, what="a reason for withdrawing the request")
    study_id = study_id if study_id is not None else only_study(db)
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        _study_work(work, study_id)
        lock = _study_lock(work.session, study_id)
        state = study_lock_state(work.session, study_id)
        if lock is None or state not in {"lock-requested", "unlock-requested"}:
            raise _state_error(state, "there is no pending request to withdraw")
        if state == "lock-requested":  # the lock never took effect: close its row
            changes = {"unlocked_at": now, "unlocked_by_user_id": actor.user_id, "unlock_reason": reason}
        else:  # the study stays locked: forget the unlock request
            changes = {"unlocked_by_user_id": None, "unlock_reason": None}
        work.change(lock, changes, expected_version=None, study_id=study_id)


@dataclass(frozen=True)
class LockView:
    """A lock in force, as shown to people."""

    id: int
    level: str
    entity_id: int | None
    locked_at: dt.datetime
    locked_by: str
    second_person: str | None
    reason: str | None


def locks_on(db: Database, actor: Actor, *, entity_type: str, entity_id: int) -> list[LockView]:
    """The locks in force on a record (``subject.read`` at its site)."""
    with reading(db, actor=actor) as ctx:
        located = locate(ctx.session, entity_type, entity_id)
        ctx.require("subject.read", located.site.id)
        names = {user.id: user.username for user in ctx.session.scalars(select(User))}
        return [
            LockView(
                lock.id,
                lock.level,
                lock.entity_id,
                lock.locked_at,
                names[lock.locked_by_user_id],
                names.get(lock.second_user_id or 0),
                lock.reason,
            )
            for lock in locks_covering(ctx.session, located)
        ]


__all__ = [
    "RECORD_LEVELS",
    "LockView",
    "RecordLocked",
    "confirm_study_lock",
    "confirm_study_unlock",
    "ensure_study_unlocked",
    "ensure_unlocked",
    "lock_record",
    "locks_covering",
    "locks_on",
    "request_study_lock",
    "request_study_unlock",
    "study_lock_state",
    "unlock_record",
    "withdraw_study_request",
]
