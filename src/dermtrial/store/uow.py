"""Unit of work: one use case = one transaction = one commit, with its audit events in that same transaction.

::

    with UnitOfWork(db, who=Who(user_id=3, username="li", role="coordinator"), now=now, request_id=rid) as uow:
        uow.add(subject, site_code="GZ01", subject_id=None, study_id=1)          # "create" event
        uow.change(form, expected_version=2, changes={"item_values": {...}}, reason="transcription error", ...)
        uow.record("config-change", entity_type="study", entity_id="1", new={"status": "active"})
    # leaving the block without an exception flushes, chains the events and commits once; an exception rolls back.

Changes after first entry need a reason (:class:`ReasonRequired`); a save against an older ``version`` is refused
with :class:`VersionConflict` naming both values; records are voided, never deleted.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.exc import StaleDataError

from dermtrial.store.audit import append_events, canonical_value, keyed_hash, move_chain_head
from dermtrial.store.base import Base
from dermtrial.store.engine import BatchAbandoned, Database
from dermtrial.store.models.audit import AuditEvent
from dermtrial.store.models.study import StudyKey

#: Tables whose values enter the audit trail only as keyed hashes.
IDENTIFYING_TABLES = frozenset({"subject_identity"})
#: Columns that are never audited in clear, whatever the table (secrets).
SECRET_COLUMNS = frozenset({"password_hash", "token_sha256", "hmac_key"})
#: Bookkeeping columns left out of "create" events (they are implied by the event itself).
_IMPLIED = frozenset({"version", "created_at", "created_by_user_id", "updated_at", "updated_by_user_id"})


def _write_chain_head(session: Session) -> None:
    """Move the chain head to the last event a batch appended (once, just before the batch commits), after checking
    that this event is the last one stored: a SAVEPOINT rolled back outside any unit of work (by the caller) would
    otherwise leave the head pointing past events that are gone, and the batch is refused instead."""
    seq, last = session.info["chain_head"]
    stored = session.connection().execute(select(func.max(AuditEvent.seq))).scalar()
    stored_hash = session.connection().execute(select(AuditEvent.hash).where(AuditEvent.seq == seq)).scalar()
    if stored != seq or stored_hash != last:
        raise StoreError(
            f"the batch's audit events do not end at event {seq} (the trail ends at {stored}): a savepoint was rolled "
            "back outside its unit of work; nothing of the batch is committed"
        )
    move_chain_head(session, seq, last)


class StoreError(Exception):
    """A write the store refuses; the services layer turns these into its own errors."""


class ReasonRequired(StoreError):
    """A change after first entry (or a void) was attempted without a reason."""

    def __init__(self, entity: str, fields: list[str]) -> None:
        self.entity, self.fields = entity, fields
        super().__init__(f"{entity}: changing {', '.join(fields)} after first entry needs a reason")


class VersionConflict(StoreError):
    """The record changed since the caller read it; carries the caller's and the stored values."""

    def __init__(self, entity: str, expected: int, stored: int, mine: dict[str, Any], theirs: dict[str, Any]) -> None:
        self.entity, self.expected, self.stored, self.mine, self.theirs = entity, expected, stored, mine, theirs
        shown = "; ".join(
            f"{name}: yours {canonical_value(mine[name])}, stored {canonical_value(theirs.get(name))}" for name in mine
        )
        if not mine:
            super().__init__(f"{entity} was changed by someone else while you were saving; reload and save again")
            return
        super().__init__(
            f"{entity} was changed by someone else (you edited version {expected}, it is now version {stored}): "
            f"{shown}; reload and apply your change again"
        )


@dataclass(frozen=True)
class Who:
    """The actor of a unit of work, as the audit trail records it."""

    user_id: int | None
    username: str | None
    role: str | None = None


SYSTEM = Who(user_id=None, username="system", role=None)


def entity_id(obj: Base) -> str:
    """The primary key of a stored object as text (``12``; ``3/4`` for a composite key)."""
    identity = inspect(obj).identity
    if identity is None:
        raise ValueError(f"{obj!r} has no key yet (flush first)")
    return "/".join(str(part) for part in identity)


def column_values(obj: Base) -> dict[str, Any]:
    """Every column of a stored object by name."""
    return {column.key: getattr(obj, column.key) for column in inspect(type(obj)).column_attrs}


@dataclass
class UnitOfWork:
    """One transaction: stage changes through :meth:`add`, :meth:`change`, :meth:`void`, :meth:`record`; commit once."""

    db: Database
    who: Who
    now: dt.datetime
    request_id: str | None = None
    reason: str | None = None
    session: Session = field(init=False)
    _events: list[AuditEvent] = field(init=False, default_factory=list)
    _keys: dict[int, bytes] = field(init=False, default_factory=dict)
    _changed: list[tuple[Base, int | None, dict[str, Any]]] = field(init=False, default_factory=list)
    _context: Any = field(init=False, default=None)
    _in_batch: bool = field(init=False, default=False)
    _savepoint: SessionTransaction | None = field(init=False, default=None)
    _released: bool = field(init=False, default=False)  # the unit's part of the batch was kept or rolled back
    _head_before: Any = field(init=False, default=None)  # the batch's cached chain head when this unit began

    def __enter__(self) -> UnitOfWork:
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware UTC")
        batch = self.db.active_batch()
        if batch is not None:  # a unit of the batch's transaction (see Database.batch)
            abandoned = batch.info.get("abandoned")
            if abandoned is not None:
                raise BatchAbandoned(f"the batch is abandoned: one of its units failed ({abandoned})")
            self.session, self._in_batch = batch, True
            self._head_before = batch.info.get("chain_head")
            if batch.info.get("savepoints", True):
                self._savepoint = batch.begin_nested()
        else:
            self._context = self.db.writing()
            self.session = self._context.__enter__()
        event.listen(self.session, "before_flush", self._stamp_new)
        return self

    def _stamp_new(self, session: Session, _context: Any, _instances: Any) -> None:
        """Fill ``created_at`` / ``created_by_user_id`` of new rows that lack them."""
        for obj in session.new:
            if hasattr(obj, "created_at") and obj.created_at is None:
                obj.created_at = self.now
            if hasattr(obj, "created_by_user_id") and obj.created_by_user_id is None:
                obj.created_by_user_id = self.who.user_id

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if kind is None:
                self.commit()
        finally:
            event.remove(self.session, "before_flush", self._stamp_new)
            if not self._in_batch:
                self._context.__exit__(kind, exc, tb)
            elif not self._released:
                self.session.info.get("memo", {}).clear()  # it may hold what the failed unit read
                if self._savepoint is not None:
                    self._savepoint.rollback()  # also after a failed flush, which leaves it inactive
                    self._restore_head()  # units inside this one rolled back too: their events are gone
                else:
                    failure = exc if exc is not None else sys.exc_info()[1]  # commit() itself may have raised
                    first_line = str(failure).splitlines()[0] if failure is not None and str(failure) else ""
                    name = type(failure).__name__ if failure is not None else "error"
                    self.session.info["abandoned"] = f"{name}: {first_line}"

    def _restore_head(self) -> None:
        """Put back the chain head the batch had cached when this unit began."""
        if self._head_before is None:
            self.session.info.pop("chain_head", None)
        else:
            self.session.info["chain_head"] = self._head_before

    # -- audit -------------------------------------------------------------------------------------------------------
    def record(
        self,
        event_type: str,
        *,
        entity_type: str | None = None,
        entity_id: str | None = None,
        field: str | None = None,
        old: Any = None,
        new: Any = None,
        reason: str | None = None,
        study_id: int | None = None,
        site_code: str | None = None,
        subject_id: int | None = None,
        who: Who | None = None,
        identifying: bool = False,
    ) -> AuditEvent:
        """Stage one audit event (chained at commit). ``identifying`` values are kept as keyed hashes only."""
        actor = who or self.who
        event = AuditEvent(
            event_type=event_type,
            actor_user_id=actor.user_id,
            actor_username=actor.username,
            actor_role=actor.role,
            study_id=study_id,
            site_code=site_code,
            subject_id=subject_id,
            entity_type=entity_type,
            entity_id=entity_id,
            field=field,
            old_value=self._audit_value(old, identifying, study_id),
            new_value=self._audit_value(new, identifying, study_id),
            reason=reason if reason is not None else self.reason,
            request_id=self.request_id,
        )
        self._events.append(event)
        return event

    def _audit_value(self, value: Any, identifying: bool, study_id: int | None) -> str | None:
        if value is None:
            return None
        if not identifying:
            return canonical_value(value)
        if study_id is None:
            raise ValueError("identifying data are audited with the study's key: give study_id")
        return keyed_hash(self._study_key(study_id), value)

    def _study_key(self, study_id: int) -> bytes:
        if study_id not in self._keys:
            key = self.session.get(StudyKey, study_id)
            if key is None:
                raise LookupError(f"study {study_id} has no audit key")
            self._keys[study_id] = key.hmac_key
        return self._keys[study_id]

    # -- staged changes ----------------------------------------------------------------------------------------------
    def add(
        self, obj: Base, *, study_id: int | None = None, site_code: str | None = None, subject_id: int | None = None
    ) -> None:
        """Insert a new record (first entry, no reason needed) and audit it as one ``create`` event."""
        self.session.add(obj)
        self.session.flush()
        table = obj.__tablename__
        values = {
            name: value
            for name, value in column_values(obj).items()
            if name not in _IMPLIED and name not in SECRET_COLUMNS and value is not None
        }
        self.record(
            "create",
            entity_type=table,
            entity_id=entity_id(obj),
            new=values,
            reason=self.reason,
            study_id=study_id,
            site_code=site_code,
            subject_id=subject_id,
            identifying=table in IDENTIFYING_TABLES,
        )

    def change(
        self,
        obj: Base,
        changes: dict[str, Any],
        *,
        expected_version: int | None,
        reason: str | None = None,
        event_type: str = "update",
        study_id: int | None = None,
        site_code: str | None = None,
        subject_id: int | None = None,
    ) -> list[str]:
        """Apply ``changes`` (column → new value) to a stored record; one ``update`` event per changed column.

        ``expected_version`` is the version the caller read (None for records without one). Returns the changed
        column names; nothing is audited when no value differs.
        """
        table = obj.__tablename__
        name = f"{table} {entity_id(obj)}"
        stored_version = getattr(obj, "version", None)
        if expected_version is not None and stored_version is not None and stored_version != expected_version:
            raise VersionConflict(name, expected_version, stored_version, changes, column_values(obj))
        reason = reason if reason is not None else self.reason
        changed = [column for column, value in changes.items() if getattr(obj, column) != value]
        if not changed:
            return []
        if not (reason and reason.strip()):
            raise ReasonRequired(name, changed)
        identifying = table in IDENTIFYING_TABLES
        self._changed.append((obj, stored_version, {column: changes[column] for column in changed}))
        for column in changed:
            old = getattr(obj, column)
            setattr(obj, column, changes[column])
            secret = column in SECRET_COLUMNS
            self.record(
                event_type,
                entity_type=table,
                entity_id=entity_id(obj),
                field=column,
                old=None if secret else old,
                new="(changed)" if secret else changes[column],
                reason=reason,
                study_id=study_id,
                site_code=site_code,
                subject_id=subject_id,
                identifying=identifying and not secret,
            )
        if hasattr(obj, "updated_at"):
            obj.updated_at = self.now
            obj.updated_by_user_id = self.who.user_id  # type: ignore[attr-defined]
        return changed

    def void(
        self,
        obj: Base,
        *,
        expected_version: int | None,
        reason: str | None,
        study_id: int | None = None,
        site_code: str | None = None,
        subject_id: int | None = None,
    ) -> None:
        """Void a record with a reason (study data are never deleted)."""
        if not (reason and reason.strip()):
            raise ReasonRequired(f"{obj.__tablename__} {entity_id(obj)}", ["voided"])
        self.change(
            obj,
            {"voided": True, "void_reason": reason},
            expected_version=expected_version,
            reason=reason,
            event_type="void",
            study_id=study_id,
            site_code=site_code,
            subject_id=subject_id,
        )

    def _race_conflict(self) -> VersionConflict:
        """Another transaction saved one of our records between our read and our write: say which, with both values."""
        if self._savepoint is not None:
            self._savepoint.rollback()
            self.session.info.get("memo", {}).clear()
            self._restore_head()
            self._released = True
        elif not self._in_batch:
            self.session.rollback()
        with self.db.reading() as session:
            for obj, expected, mine in self._changed:
                stored = session.get(type(obj), inspect(obj).identity, populate_existing=True)
                stored_version = getattr(stored, "version", None)
                if stored is not None and stored_version != expected:
                    name = f"{obj.__tablename__} {entity_id(obj)}"
                    return VersionConflict(name, expected or 0, stored_version or 0, mine, column_values(stored))
        return VersionConflict("a record you changed", 0, 0, {}, {})

    # -- commit ------------------------------------------------------------------------------------------------------
    def commit(self) -> None:
        """Flush the changes, chain the staged audit events and commit: all of it or nothing."""
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise self._race_conflict() from exc
        if not self._in_batch:
            append_events(self.session, self._events, now=self.now)
            self.session.flush()
            self.session.commit()
        else:  # a unit of a batch: the head its transaction read and locked is kept, and written when it commits
            info = self.session.info
            head = append_events(self.session, self._events, now=self.now, head=info.get("chain_head"), move=False)
            self.session.flush()
            if self._savepoint is not None:
                self._savepoint.commit()  # released; the batch commits it with the others
            self._released = True
            if head is not None:
                info["chain_head"] = head
                info.setdefault("before_commit", {})["chain_head"] = _write_chain_head
        self._events.clear()
