"""Use cases on the audit trail: verify the chain, export events (streamed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dermtrial.services.access import Actor
from dermtrial.services.uow import reading
from dermtrial.store.audit import AuditFilter, ChainReport, iter_events, verify_chain
from dermtrial.store.engine import Database


def verify_audit_trail(db: Database, actor: Actor | None) -> ChainReport:
    """Re-compute the whole chain. ``actor`` None is the local inspector's check (``dermtrial audit verify``)."""
    if actor is None:
        with db.reading() as session:
            return verify_chain(session)
    with reading(db, actor=actor) as ctx:
        ctx.require("audit.verify")
        return verify_chain(ctx.session)


def export_audit_trail(db: Database, actor: Actor | None, where: AuditFilter) -> Iterator[dict[str, Any]]:
    """Stream the events matching ``where`` in chain order, in constant memory."""
    if actor is None:
        with db.reading() as session:
            yield from iter_events(session, where)
        return
    with reading(db, actor=actor) as ctx:
        ctx.require("audit.read")
        yield from iter_events(ctx.session, where)
