"""The study database: SQLAlchemy models, the unit of work, the hash-chained audit trail, Alembic migrations.

Public surface: :class:`~dermtrial.store.engine.Database` (``writing()``, ``reading()``),
:mod:`dermtrial.store.models` (every table), :class:`~dermtrial.store.uow.UnitOfWork`,
:func:`~dermtrial.store.audit.verify_chain` / :func:`~dermtrial.store.audit.iter_events`, and
:func:`~dermtrial.store.migrate.upgrade`. Only :mod:`dermtrial.services` writes through it.
"""

from dermtrial.store.base import Base, utc_now
from dermtrial.store.engine import Database

__all__ = ["Base", "Database", "utc_now"]
