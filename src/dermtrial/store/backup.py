"""Backups of the study database: a consistent copy made while writers run, readable by either engine.

Two kinds of backup file, told apart by their first bytes:

- **SQLite file** (``SQLite format 3``): made from a SQLite database with sqlite3's online backup API in one step,
  which reads one consistent state of the database while other connections keep writing (WAL).
- **Portable file** (gzip, ``dermtrial-backup`` JSON lines): made from either engine inside one read-only snapshot
  transaction (PostgreSQL ``REPEATABLE READ READ ONLY``; SQLite one read transaction, which WAL keeps consistent).
  Line 1 is a header (format, schema revision, source engine, time); then, per table in foreign-key order, a line
  ``{"table": …, "columns": […], "kinds": […]}`` followed by one JSON array per row in primary-key order; the last
  line is ``{"end": {"rows": {table: count}, "sha256": …}}``, the SHA-256 of every line before it, so a truncated or
  altered file is refused before anything is restored. Values are typed by ``kinds``: ``datetime`` (ISO 8601 with
  offset, UTC), ``date``, ``decimal`` (text, precision kept), ``bytes`` (base64), ``json`` (the JSON value itself),
  ``int``, ``bool``, ``text``.

Either kind restores into either engine (:mod:`dermtrial.store.restore`).
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    create_engine,
    func,
    select,
    text,
)
from sqlalchemy.types import JSON, DateTime, TypeEngine

import dermtrial.store.models  # noqa: F401  (registers every table)
from dermtrial import __version__
from dermtrial.store.base import Base, UTCDateTime
from dermtrial.store.engine import Database

FORMAT = "dermtrial-backup"
FORMAT_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
BATCH = 1000

Progress = Callable[[str, int], None]
"""Called with (table, rows done in it) as a backup or restore goes."""


class BackupError(Exception):
    """A backup file that cannot be used (unknown format, truncated, altered, from an unknown schema revision)."""


def tables() -> list[Table]:
    """Every stored table, parents before children (the order rows are written and restored in)."""
    return list(Base.metadata.sorted_tables)


def column_kind(kind: TypeEngine[Any]) -> str:
    """How a column's values are written in a portable backup."""
    if isinstance(kind, UTCDateTime | DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, Numeric):
        return "decimal"
    if isinstance(kind, LargeBinary):
        return "bytes"
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, Boolean):
        return "bool"
    return "text"


def encode(kind: str, value: Any) -> Any:
    """A stored value as JSON (see the module docstring)."""
    if value is None:
        return None
    if kind in {"datetime", "date"}:
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    return value


def decode(kind: str, value: Any) -> Any:
    """The inverse of :func:`encode`."""
    if value is None:
        return None
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


@contextmanager
def snapshot(db: Database) -> Iterator[Connection]:
    """A read-only connection on one consistent state of the database for as long as the block runs."""
    if db.is_sqlite:
        with db.engine.connect() as connection, connection.begin():
            yield connection
        return
    options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with db.engine.connect().execution_options(**options) as connection, connection.begin():
        yield connection


def revision_of(connection: Connection) -> str | None:
    """The Alembic revision of the database the connection reads (None when it has no schema)."""
    try:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        return None


def iter_rows(connection: Connection, table: Table, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    """Every row of ``table`` in primary-key order, streamed ``BATCH`` rows at a time (server-side cursor)."""
    query = select(*(table.c[name] for name in columns)).order_by(*table.primary_key.columns)
    result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    try:
        for row in result:
            yield tuple(row)
    finally:
        result.close()


def count_rows(connection: Connection) -> dict[str, int]:
    """Rows per table (in the caller's snapshot)."""
    return {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one() for t in tables()}


@dataclass
class BackupReport:
    """What a backup wrote: the file, its kind, the schema revision and the rows per table."""

    path: Path
    kind: str
    revision: str | None
    rows: dict[str, int] = field(default_factory=dict)
    sha256: str = ""


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup_sqlite(db: Database, out: Path) -> BackupReport:
    """Copy a SQLite database with the online backup API (one step, so one consistent state) to ``out``."""
    if not db.is_sqlite:
        raise BackupError("the SQLite online backup needs a SQLite database; use the portable format")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(str(db.url.database), timeout=30)
    target = sqlite3.connect(str(partial))
    try:
        source.execute("PRAGMA busy_timeout = 30000")
        source.backup(target, pages=-1)
        check = target.execute("PRAGMA integrity_check").fetchone()
        if check is None or check[0] != "ok":
            raise BackupError(f"the copy fails SQLite's integrity check: {check}")
    finally:
        target.close()
        source.close()
    partial.replace(out)
    reader = create_engine(sqlite_read_url(out))
    try:
        with reader.connect() as connection:
            report = BackupReport(out, "sqlite", revision_of(connection), count_rows(connection))
    finally:
        reader.dispose()
    report.sha256 = file_sha256(out)
    return report


def sqlite_read_url(path: Path) -> str:
    """A URL reading a SQLite file without ever writing to it (no journal, no WAL files beside it)."""
    return f"sqlite:///file:{path.resolve()}?mode=ro&immutable=1&uri=true"


class _HashingWriter:
    """Writes lines to a gzip stream and hashes them."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle, self.digest = handle, hashlib.sha256()

    def line(self, value: Any) -> None:
        encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
        self.digest.update(encoded.encode("utf-8"))
        self.handle.write(encoded)


def backup_portable(db: Database, out: Path, *, now: dt.datetime, progress: Progress | None = None) -> BackupReport:
    """Write the portable backup of ``db`` (either engine) to ``out``, from one consistent snapshot."""
    partial = out.with_name(out.name + ".partial")
    with snapshot(db) as connection:
        revision = revision_of(connection)
        if revision is None:
            raise BackupError("the database has no schema: nothing to back up")
        report = BackupReport(out, "portable", revision)
        with gzip.open(partial, "wt", encoding="utf-8", newline="\n") as handle:
            writer = _HashingWriter(handle)
            header = {"format": FORMAT, "format_version": FORMAT_VERSION, "revision": revision}
            header |= {"source": db.dialect, "made_at": now.isoformat(), "dermtrial": __version__}
            writer.line(header)
            for table in tables():
                columns = [c.name for c in table.columns]
                kinds = [column_kind(table.c[name].type) for name in columns]
                writer.line({"table": table.name, "columns": columns, "kinds": kinds})
                done = 0
                for row in iter_rows(connection, table, columns):
                    writer.line([encode(kind, value) for kind, value in zip(kinds, row, strict=True)])
                    done += 1
                    if progress is not None and done % BATCH == 0:
                        progress(table.name, done)
                report.rows[table.name] = done
                if progress is not None:
                    progress(table.name, done)
            writer.line({"end": {"rows": report.rows, "sha256": writer.digest.hexdigest()}})
    partial.replace(out)
    report.sha256 = file_sha256(out)
    return report


def backup_kind(path: Path) -> str:
    """``sqlite`` or ``portable``, from the file's first bytes (BackupError for anything else)."""
    with path.open("rb") as handle:
        start = handle.read(16)
    if start.startswith(SQLITE_MAGIC):
        return "sqlite"
    if start.startswith(GZIP_MAGIC):
        return "portable"
    raise BackupError(f"{path}: neither a SQLite backup nor a portable dermtrial backup (gzip)")
