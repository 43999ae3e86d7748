"""Small readers used by the services tests to prove what was (not) written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from dermtrial.store.audit import AuditFilter, iter_events
from dermtrial.store.engine import Database
from dermtrial.store.models import AuditEvent


def audit_count(db: Database) -> int:
    """Number of audit events stored."""
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def events(db: Database, **where: Any) -> list[dict[str, Any]]:
    """Every audit event (optionally filtered), in chain order."""
    with db.reading() as session:
        return list(iter_events(session, AuditFilter(**where)))


def count(db: Database, model: type[Any]) -> int:
    """Number of rows of a table."""
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0
