"""The audit trail's hash chain: canonical encoding, appending, verifying and streaming events.

Each event's ``hash`` is the SHA-256 of the canonical encoding of its other fields, ``prev_hash`` included; the
canonical encoding is JSON with sorted keys, no whitespace, UTF-8, the UTC time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
Changing, removing or reordering any event changes a hash that a later event (or the chain head) commits to, so
:func:`verify_chain` finds the first event that does not match. See ``docs/audit-trail.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Insert, Select, Update, bindparam, insert, select, update
from sqlalchemy.orm import Session

from dermtrial.store.models.audit import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
HEAD_ID = 1
KEYED_PREFIX = "hmac-sha256:"

#: The fields covered by an event's hash, in the order exports show them.
HASHED_FIELDS: tuple[str, ...] = (
    "seq",
    "occurred_at",
    "event_type",
    "actor_user_id",
    "actor_username",
    "actor_role",
    "study_id",
    "site_code",
    "subject_id",
    "entity_type",
    "entity_id",
    "field",
    "old_value",
    "new_value",
    "reason",
    "request_id",
    "prev_hash",
)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return format_utc(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot encode {type(value).__name__} in the audit trail")


def canonical_value(value: Any) -> str:
    """A stored value as canonical JSON text (decimals as strings, so ``1.10`` keeps its precision)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def keyed_hash(key: bytes, value: Any) -> str:
    """The audit form of an identifying value: HMAC-SHA256 under the study's key, never the clear value."""
    digest = hmac.new(key, canonical_value(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return KEYED_PREFIX + digest


def format_utc(value: dt.datetime) -> str:
    """``2026-11-25T23:59:01.123456Z``: the one way a UTC time enters a hash."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_fields(event: AuditEvent) -> dict[str, Any]:
    """The hashed fields of an event as plain values (the time formatted by :func:`format_utc`)."""
    out: dict[str, Any] = {name: getattr(event, name) for name in HASHED_FIELDS}
    out["occurred_at"] = format_utc(event.occurred_at)
    return out


def compute_hash(event: AuditEvent) -> str:
    """SHA-256 of the canonical encoding of the event's fields and its ``prev_hash``."""
    encoded = json.dumps(event_fields(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


_COLUMNS: tuple[str, ...] = (*HASHED_FIELDS, "hash")


@cache
def _append_statements() -> tuple[Select[int, str], Insert, Update]:
    """Built once: reading the locked chain head, inserting events, moving the head (``:new_seq``, ``:new_hash``)."""
    is_head = AuditChainHead.id == HEAD_ID
    locked = select(AuditChainHead.last_seq, AuditChainHead.last_hash).where(is_head).with_for_update()
    move = update(AuditChainHead).where(is_head).values(last_seq=bindparam("new_seq"), last_hash=bindparam("new_hash"))
    return locked, insert(AuditEvent), move


def append_events(
    session: Session,
    events: Sequence[AuditEvent],
    *,
    now: dt.datetime,
    head: tuple[int, str] | None = None,
    move: bool = True,
) -> tuple[int, str] | None:
    """Chain and add ``events`` in the caller's transaction, the chain head locked until it commits; returns the new
    head (sequence number and hash), or ``head`` when there is nothing to add.

    On PostgreSQL ``SELECT … FOR UPDATE`` on the head row serialises appenders; on SQLite the single writer does.
    ``head`` is given by a batch whose transaction already read and locked the head row: it saves reading it again;
    a batch also passes ``move=False`` and moves the head once, with :func:`move_chain_head`, before it commits.
    """
    if not events:
        return head
    # Core statements on the session's connection, not ORM flushes: the events are written once and never changed,
    # so the identity map and the unit of work's bookkeeping buy nothing here. The staged objects keep their seq,
    # time and hashes.
    locked, add, moving = _append_statements()
    connection = session.connection()
    seq, previous = head if head is not None else connection.execute(locked).one()
    rows: list[dict[str, Any]] = []
    for event in events:
        seq += 1
        event.seq = seq
        event.occurred_at = now
        event.prev_hash = previous
        event.hash = compute_hash(event)
        previous = event.hash
        rows.append({name: getattr(event, name) for name in _COLUMNS})
    connection.execute(add, rows)
    if move:
        connection.execute(moving, {"new_seq": seq, "new_hash": previous})
    return seq, previous


def move_chain_head(session: Session, seq: int, last_hash: str) -> None:
    """Record ``seq`` and its hash as the end of the chain (in the caller's transaction, which holds the head row)."""
    session.connection().execute(_append_statements()[2], {"new_seq": seq, "new_hash": last_hash})


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying the chain: ``ok`` and, when not, the first event that does not match and why."""

    ok: bool
    events: int
    last_seq: int
    last_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form for ``dermtrial audit verify --json``."""
        return {
            "ok": self.ok,
            "events": self.events,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


def verify_chain(session: Session, *, batch: int = 1000) -> ChainReport:
    """Re-compute every hash in order, check each link and the chain head; stop at the first mismatch."""
    expected_seq, previous, count = 1, GENESIS_HASH, 0
    stream = session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch))
    try:
        for event in stream.scalars():
            count += 1
            bad: str | None = None
            if event.seq != expected_seq:
                bad = f"sequence jumps from {expected_seq - 1} to {event.seq}: event(s) {expected_seq}… are missing"
            elif event.prev_hash != previous:
                bad = f"prev_hash {event.prev_hash} does not match the hash of event {event.seq - 1} ({previous})"
            else:
                recomputed = compute_hash(event)
                if recomputed != event.hash:
                    bad = f"stored hash {event.hash} does not match its content (re-computed {recomputed})"
            if bad is not None:
                return ChainReport(False, count, expected_seq - 1, previous, event.seq, bad)
            previous, expected_seq = event.hash, expected_seq + 1
            session.expunge(event)
    finally:
        stream.close()
    head = session.get(AuditChainHead, HEAD_ID)
    last_seq = expected_seq - 1
    if head is None:
        return ChainReport(False, count, last_seq, previous, None, "the chain head row is missing")
    if head.last_seq != last_seq or head.last_hash != previous:
        return ChainReport(
            False,
            count,
            last_seq,
            previous,
            last_seq + 1 if head.last_seq > last_seq else last_seq,
            f"the chain head records event {head.last_seq} ({head.last_hash}) but the trail ends at event "
            f"{last_seq} ({previous}): events were removed from the end",
        )
    return ChainReport(True, count, last_seq, previous)


@dataclass(frozen=True)
class AuditFilter:
    """Which events an export includes; every part is optional."""

    subject_id: int | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def apply(self, query: Select[AuditEvent]) -> Select[AuditEvent]:
        """Add this filter's conditions to a query on ``audit_event``."""
        if self.subject_id is not None:
            query = query.where(AuditEvent.subject_id == self.subject_id)
        if self.entity_type is not None:
            query = query.where(AuditEvent.entity_type == self.entity_type)
        if self.entity_id is not None:
            query = query.where(AuditEvent.entity_id == self.entity_id)
        if self.since is not None:
            query = query.where(AuditEvent.occurred_at >= self.since)
        if self.until is not None:
            query = query.where(AuditEvent.occurred_at < self.until)
        return query


EXPORT_FIELDS: tuple[str, ...] = (*HASHED_FIELDS, "hash")


def iter_events(session: Session, where: AuditFilter, *, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Stream matching events in chain order as plain dicts, ``batch`` rows at a time (server-side cursor)."""
    query = where.apply(select(AuditEvent)).order_by(AuditEvent.seq)
    result = session.execute(query.execution_options(yield_per=batch, stream_results=True))
    try:
        for event in result.scalars():
            row = event_fields(event)
            row["hash"] = event.hash
            session.expunge(event)
            yield row
    finally:
        result.close()
