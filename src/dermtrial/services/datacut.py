"""Data cuts: the study data frozen at a moment, identified by the SHA-256 of their canonical encoding.

The **canonical encoding** of a study's data at audit position *n* is one line per record, UTF-8, ``\\n`` after each:
``{"id":…,"row":{column: value …},"table":…}`` as JSON with sorted keys and no spaces; tables in the order of
:data:`SNAPSHOT_TABLES`, records by key; decimals as plain text without trailing zeros, UTC times as
``YYYY-MM-DDTHH:MM:SS.ffffffZ``, dates as ``YYYY-MM-DD``. A record belongs to the cut when its ``create`` event is
at position *n* or earlier in the audit trail, so the same set is found again later, whatever was added since.
Identifying data (``subject_identity``) are never part of it.

:func:`create_data_cut` takes the chain head lock first (every audited write needs it), so nothing commits while
the records are read: the cut is one consistent moment on PostgreSQL as on SQLite. It stores the hash and the audit
position; with ``out_dir`` it also writes the encoding itself as ``<name>.jsonl``, whose ``sha256sum`` is the cut's
hash. :func:`verify_data_cut` re-computes the encoding of the same records from the live data and compares hashes;
when they differ it names the changes made to records of the cut since, from the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from dermtrial.services.access import Actor
from dermtrial.services.errors import Conflict, NotFound
from dermtrial.services.records import check_text, refuse
from dermtrial.services.studies import only_study
from dermtrial.services.uow import reading, unit_of_work
from dermtrial.store.audit import HEAD_ID, format_utc
from dermtrial.store.base import Base
from dermtrial.store.engine import Database
from dermtrial.store.models import (
    AdverseEvent,
    AuditChainHead,
    AuditEvent,
    Consent,
    DataCut,
    Deviation,
    EligibilityEvaluation,
    Exposure,
    FormInstance,
    LabResult,
    ReferenceRange,
    Site,
    Subject,
    Visit,
)

#: The tables of a cut, in encoding order: the study's structure, then its subjects' data.
SNAPSHOT_TABLES: tuple[type[Base], ...] = (
    Site,
    ReferenceRange,
    Subject,
    Consent,
    Visit,
    FormInstance,
    LabResult,
    Exposure,
    AdverseEvent,
    EligibilityEvaluation,
    Deviation,
)
CUT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, dt.datetime):
        return format_utc(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _study_rows(session: Session, model: type[Base], study_id: int) -> Any:
    table: Any = model
    if model is Site:
        where = table.study_id == study_id
    elif model in (ReferenceRange, Deviation):
        where = table.site_id.in_(select(Site.id).where(Site.study_id == study_id))
    elif model is Subject:
        where = table.study_id == study_id
    else:
        where = table.subject_id.in_(select(Subject.id).where(Subject.study_id == study_id))
    return session.execute(select(model).where(where).order_by(table.id).execution_options(yield_per=1000)).scalars()


def _members(session: Session, audit_seq: int) -> dict[str, set[str]]:
    tables = [model.__tablename__ for model in SNAPSHOT_TABLES]
    query = select(AuditEvent.entity_type, AuditEvent.entity_id).where(
        AuditEvent.event_type == "create", AuditEvent.seq <= audit_seq, AuditEvent.entity_type.in_(tables)
    )
    members: dict[str, set[str]] = {table: set() for table in tables}
    for table, key in session.execute(query):
        if table is not None and key is not None:
            members[table].add(key)
    return members


def canonical_lines(session: Session, study_id: int, audit_seq: int) -> Iterator[bytes]:
    """The canonical encoding of the study's records created at or before audit position ``audit_seq``, line by line."""
    members = _members(session, audit_seq)
    for model in SNAPSHOT_TABLES:
        columns = [column.key for column in inspect(model).column_attrs]
        table = model.__tablename__
        for record in _study_rows(session, model, study_id):
            key = str(record.id)
            if key not in members[table]:
                continue
            row = {name: _plain(getattr(record, name)) for name in columns}
            line = json.dumps(
                {"id": record.id, "row": row, "table": table}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
            yield line.encode("utf-8") + b"\n"


@dataclass(frozen=True)
class CutSummary:
    """A data cut: its name, hash, audit position and how many records it holds."""

    id: int
    name: str
    snapshot_sha256: str
    audit_seq: int
    records: int
    location: str | None


def create_data_cut(
    db: Database,
    actor: Actor,
    *,
    name: str,
    reason: str,
    now: dt.datetime,
    out_dir: Path | None = None,
    study_id: int | None = None,
) -> CutSummary:
    """Freeze the study data now (``data-cut.create``): store their hash and audit position, optionally the file."""
    if not CUT_NAME.match(name):
        raise refuse("name", name, '1-64 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit')
    reason = check_text("reason", reason, what="a reason for the cut")
    study_id = study_id if study_id is not None else only_study(db)
    path = out_dir / f"{name}.jsonl" if out_dir is not None else None
    if path is not None and path.exists():
        raise Conflict(f"{path} already exists; a cut's file is never overwritten", path=("out_dir",), value=str(path))
    written = False
    try:
        with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
            work.require("data-cut.create")
            if work.session.scalars(
                select(DataCut.id).where(DataCut.study_id == study_id, DataCut.name == name)
            ).first():
                raise Conflict(f'a data cut "{name}" already exists', path=("name",), value=name)
            head = work.session.execute(
                select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()
            ).scalar_one()
            digest, records = hashlib.sha256(), 0
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("xb") if path is not None else None
            written = handle is not None
            try:
                for line in canonical_lines(work.session, study_id, head.last_seq):
                    digest.update(line)
                    records += 1
                    if handle is not None:
                        handle.write(line)
            finally:
                if handle is not None:
                    handle.close()
            cut = DataCut(
                study_id=study_id,
                name=name,
                reason=reason,
                audit_seq=head.last_seq,
                snapshot_sha256=digest.hexdigest(),
                location=str(path) if path is not None else None,
            )
            work.add(cut, study_id=study_id)
            summary = CutSummary(cut.id, name, cut.snapshot_sha256, cut.audit_seq, records, cut.location)
    except BaseException:
        if written and path is not None:  # the cut was not stored: its file goes too
            path.unlink(missing_ok=True)
        raise
    return summary


@dataclass(frozen=True)
class CutCheck:
    """The result of re-computing a cut: ``ok`` when the live data of its records still hash to the stored value."""

    cut_id: int
    ok: bool
    stored_sha256: str
    recomputed_sha256: str
    records: int
    changed_since: list[str]


def verify_data_cut(db: Database, actor: Actor | None, *, cut_id: int) -> CutCheck:
    """Re-compute a cut's hash from the live data (``audit.verify``; None: the local inspector's check)."""
    if actor is None:
        with db.reading() as session:
            return _verify(session, cut_id)
    with reading(db, actor=actor) as ctx:
        ctx.require("audit.verify")
        return _verify(ctx.session, cut_id)


def _verify(session: Session, cut_id: int) -> CutCheck:
    cut = session.get(DataCut, cut_id)
    if cut is None:
        raise NotFound(f"no data cut {cut_id}", path=("cut_id",), value=cut_id)
    digest, records = hashlib.sha256(), 0
    for line in canonical_lines(session, cut.study_id, cut.audit_seq):
        digest.update(line)
        records += 1
    ok = digest.hexdigest() == cut.snapshot_sha256
    changed = [] if ok else _changes_since(session, cut.audit_seq)
    if not ok and not changed:
        changed = ["no audited change explains the difference: the data were altered outside dermtrial"]
    return CutCheck(cut.id, ok, cut.snapshot_sha256, digest.hexdigest(), records, changed)


def _changes_since(session: Session, audit_seq: int) -> list[str]:
    """The audited changes, after ``audit_seq``, to records that existed then: ``event 41 update form_instance 3 …``."""
    members = _members(session, audit_seq)
    query = select(AuditEvent).where(
        AuditEvent.seq > audit_seq, AuditEvent.event_type != "create", AuditEvent.entity_type.in_(list(members))
    )
    return [
        f"event {e.seq} {e.event_type} {e.entity_type} {e.entity_id} {e.field or ''} at {format_utc(e.occurred_at)} "
        f"by {e.actor_username}".replace("  ", " ")
        for e in session.scalars(query.order_by(AuditEvent.seq))
        if e.entity_id in members[e.entity_type or ""]
    ]
