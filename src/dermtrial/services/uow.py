"""The services' unit of work: the store's :class:`~dermtrial.store.uow.UnitOfWork` plus the actor and its checks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dermtrial.services.access import Actor, require
from dermtrial.services.errors import Conflict, ReasonRequired
from dermtrial.store import uow as store_uow
from dermtrial.store.engine import Database


class ServiceUnitOfWork(store_uow.UnitOfWork):
    """A unit of work run for an :class:`Actor` (or the system when ``actor`` is None)."""

    actor: Actor | None = None

    def require(self, permission: str, site_id: int | None = None) -> str:
        """Check the actor may do ``permission`` at ``site_id``; later audit events of this unit carry the role."""
        if self.actor is None:
            raise ValueError("a unit of work without an actor can check no permission")
        role = require(self.session, self.actor, permission, site_id)
        self.who = store_uow.Who(self.actor.user_id, self.actor.username, role)
        return role


def new_request_id() -> str:
    """A fresh request id (events of one use case share it)."""
    return uuid.uuid4().hex


@contextmanager
def unit_of_work(
    db: Database,
    *,
    actor: Actor | None,
    now: dt.datetime,
    request_id: str | None = None,
    reason: str | None = None,
) -> Iterator[ServiceUnitOfWork]:
    """Open one write transaction for one use case; commit on leaving the block, roll back on any error.

    Store-level refusals become service errors: a missing reason → :class:`ReasonRequired`, a stale version or a
    duplicate key → :class:`Conflict`.
    """
    who = store_uow.Who(actor.user_id, actor.username) if actor is not None else store_uow.SYSTEM
    work = ServiceUnitOfWork(db, who=who, now=now, request_id=request_id or new_request_id(), reason=reason)
    work.actor = actor
    try:
        with work:
            yield work
    except store_uow.ReasonRequired as exc:
        raise ReasonRequired(str(exc), path=tuple(exc.fields[:1]), value=None) from exc
    except store_uow.VersionConflict as exc:
        raise Conflict(str(exc), path=("version",), value=exc.expected) from exc
    except IntegrityError as exc:
        if not _is_unique_violation(exc):
            raise
        raise Conflict(f"the change duplicates a stored record: {exc.orig}", path=()) from exc


def _is_unique_violation(exc: IntegrityError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code == "23505" or "UNIQUE constraint failed" in str(exc.orig)


@dataclass
class ReadContext:
    """A read-only session for an actor, with the same permission check as writes."""

    session: Session
    actor: Actor

    def require(self, permission: str, site_id: int | None = None) -> str:
        """Check the actor may do ``permission`` at ``site_id``."""
        return require(self.session, self.actor, permission, site_id)


@contextmanager
def reading(db: Database, *, actor: Actor) -> Iterator[ReadContext]:
    """A read-only session for one use case (never committed)."""
    with db.reading() as session:
        yield ReadContext(session, actor)
