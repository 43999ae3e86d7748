"""Opening the study database: one :class:`Database` per URL, on SQLite or PostgreSQL.

SQLite is configured for durability and for many users at once: WAL journal, ``synchronous=FULL``, foreign keys on,
a busy timeout, and every write through one writer: an in-process lock plus ``BEGIN IMMEDIATE``, so that two writers
never meet inside SQLite and nobody sees "database is locked". Reads use their own connections and never wait for the
writer (WAL). On PostgreSQL, writes run at READ COMMITTED; the audit chain head row is locked by each append.

A batch (:meth:`Database.batch`) runs many units of work in one transaction: each unit is a SAVEPOINT inside it
(refused alone, committed with the others), and reads in the same thread see the batch's writes. Bulk loaders use it
so that a simulated subject's hundred use cases cost one commit, not a hundred.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

_WRITE = "dermtrial_write"
BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str | URL) -> URL:
    """``postgresql://…`` and ``postgres://…`` mean psycopg 3; other URLs are used as given."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own transaction handling is switched off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


#: Tables whose change inside a batch empties its memo (what :func:`batch_memo` keeps is read from them).
MEMO_TABLES = frozenset(
    {"app_user", "permission", "role_permission", "role_grant", "record_lock", "study", "site", "reference_range"}
)


class BatchAbandoned(RuntimeError):
    """A batch without savepoints had a unit fail: nothing of it was committed."""


def _prepare_batch(session: Session) -> None:
    """Keep every object the session loads or adds until it closes (SQLAlchemy's identity map holds them weakly), so
    that the units of a batch find the subject, visit and site by key without asking the database again; and give
    the batch its memo (see :func:`batch_memo`)."""
    held: list[object] = []
    memo: dict[Hashable, Any] = {}
    session.info["held"], session.info["memo"] = held, memo

    def hold(_session: Session, instance: object) -> None:
        held.append(instance)

    def forget(flushing: Session, _context: Any, _instances: Any) -> None:
        touched = (*flushing.new, *flushing.dirty, *flushing.deleted)
        if any(getattr(obj, "__tablename__", None) in MEMO_TABLES for obj in touched):
            memo.clear()

    event.listen(session, "loaded_as_persistent", hold)
    event.listen(session, "pending_to_persistent", hold)
    event.listen(session, "before_flush", forget)


def batch_memo(session: Session) -> dict[Hashable, Any] | None:
    """The memo of a batch's session (None outside a batch): answers read once per batch, such as an account's
    grants, the locks covering a record or a study's protocol. A batch is one transaction that holds the study row
    (PostgreSQL) or the single writer (SQLite), so locks cannot appear meanwhile. On PostgreSQL another connection
    can still commit a grant, account or range change between the batch's first read and its first audited unit
    (after that the chain head it holds makes them wait): the batch then works with what it read first, as a
    REPEATABLE READ transaction would. A flush touching any of :data:`MEMO_TABLES` empties it, and so does a unit
    that fails."""
    memo: dict[Hashable, Any] | None = session.info.get("memo")
    return memo


class Database:
    """The study database: an engine, the single-writer lock (SQLite) and sessions for reading and writing."""

    def __init__(self, url: str | URL, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            database = self.url.database or ""
            if database in {"", ":memory:"}:
                raise ValueError("an in-memory SQLite database cannot be shared; give a file, sqlite:///study.db")
            kwargs.update(pool_size=40, max_overflow=0, pool_timeout=120)
            kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        else:
            kwargs.update(pool_size=10, max_overflow=30, pool_pre_ping=True)
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._write_engine = self.engine.execution_options(**{_WRITE: True})
        self._writer = threading.Lock()
        self._local = threading.local()

    @property
    def is_sqlite(self) -> bool:
        """True on SQLite, False on PostgreSQL."""
        return self.url.get_backend_name() == "sqlite"

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    def active_batch(self) -> Session | None:
        """The session of the batch this thread has open on this database, or None."""
        session: Session | None = getattr(self._local, "batch", None)
        return session

    def _no_batch(self, what: str) -> None:
        if self.active_batch() is not None:
            raise RuntimeError(f"{what} inside a batch: run it as a unit of work of the batch, or after the batch")

    @contextmanager
    def batch(self, *, savepoints: bool = True) -> Iterator[Session]:
        """One write transaction for many units of work, committed when the block ends (rolled back on an exception).

        Units of work opened in this thread meanwhile are units of the batch, each with its own audit events, actor
        and time, committed together at the end. With ``savepoints`` (the default) each unit is a SAVEPOINT: a unit
        that fails is rolled back alone and its error reaches the caller, who may go on. Without, a unit that fails
        abandons the batch: its error reaches the caller, any later unit is refused, and the batch is rolled back
        when it ends (with :class:`BatchAbandoned` if nothing else was raised). Bulk loaders that stop at the first
        error use that: it saves two statements per unit.

        :meth:`reading` in this thread reads through the batch (it sees its writes). On SQLite the single-writer lock
        is held for the whole batch; on PostgreSQL the audit chain head is locked from the batch's first audited unit
        to its commit, so other audited writes wait for the batch. Keep batches short (one subject, one visit).
        """
        self._no_batch("a batch")
        with self.writing() as session:
            _prepare_batch(session)
            session.info["savepoints"] = savepoints
            self._local.batch = session
            try:
                yield session
                abandoned = session.info.get("abandoned")
                if abandoned is not None:
                    raise BatchAbandoned(f"the batch was rolled back: one of its units failed ({abandoned})")
                for hook in session.info.get("before_commit", {}).values():
                    hook(session)
                session.commit()
            finally:
                self._local.batch = None

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session for one write transaction; the caller commits. On SQLite it holds the single-writer lock."""
        self._no_batch("a separate write transaction")
        if self.is_sqlite:
            with self._writer, Session(self._write_engine, expire_on_commit=False, autoflush=False) as session:
                try:
                    yield session
                finally:
                    session.rollback()
        else:
            with Session(self.engine, expire_on_commit=False, autoflush=False) as session:
                try:
                    yield session
                finally:
                    session.rollback()

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A connection inside one write transaction (committed on success), for schema changes and bulk work."""
        self._no_batch("a separate write transaction")
        if self.is_sqlite:
            with self._writer, self._write_engine.begin() as connection:
                yield connection
        else:
            with self.engine.begin() as connection:
                yield connection

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reading only (never committed; on SQLite it does not wait for the writer).

        Inside a batch (same thread) it is the batch's session, so that what the batch wrote is read back.
        """
        batch = self.active_batch()
        if batch is not None:
            yield batch
            return
        with Session(self.engine, autoflush=False) as session:
            try:
                yield session
            finally:
                session.rollback()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"
