"""Restoring a backup (either kind, from either engine) into an empty database on either engine.

The whole restore is **one transaction** on the target: drop whatever dermtrial schema is there (only when it holds no
data, or when forced), create the schema at the backup's revision with the packaged Alembic migrations, insert every
row with its original key, bring PostgreSQL's key sequences past the restored keys, re-verify the audit chain, and
only then commit; then migrate to this version's newest revision if the backup is older. Anything wrong (a truncated
file, a chain that does not verify, a constraint) rolls all of it back and leaves the target as it was.

The audit triggers: the migrations create them before any row is restored, and they stay on. They refuse UPDATE,
DELETE and TRUNCATE of ``audit_event``; a restore only INSERTs events (with their stored hashes, never re-computed),
which the triggers allow, so no trigger is ever disabled. The one row the migration seeds, the chain head, is not an
audit event: it is replaced by the backup's. Forcing a restore over a database with data drops its tables (a
``DROP TABLE`` is not a row DELETE: no trigger fires; on SQLite the implied row deletion fires none either).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Table, create_engine, delete, func, inspect, select, text
from sqlalchemy.orm import Session

from dermtrial.store.audit import ChainReport, verify_chain
from dermtrial.store.backup import (
    BATCH,
    FORMAT,
    FORMAT_VERSION,
    BackupError,
    Progress,
    backup_kind,
    decode,
    iter_rows,
    revision_of,
    sqlite_read_url,
    tables,
)
from dermtrial.store.engine import Database
from dermtrial.store.migrate import alembic_config, head_revision, upgrade
from dermtrial.store.models import AuditChainHead


class NotEmpty(Exception):
    """The target database holds data and the restore was not forced."""


@dataclass
class RestoreReport:
    """What a restore did: the backup's kind and revision, rows per table, the re-verified chain."""

    kind: str
    revision: str
    rows: dict[str, int] = field(default_factory=dict)
    chain: ChainReport | None = None
    upgraded_to: str | None = None


@dataclass
class _TableData:
    table: Table
    columns: list[str]
    rows: Iterator[tuple[Any, ...]]


class _PortableReader:
    """Reads a portable backup line by line, checking the header, the order of tables and the closing hash."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle = gzip.open(path, "rt", encoding="utf-8")  # noqa: SIM115  (closed by close())
        self.digest = hashlib.sha256()
        self.pending: Any = None
        header = self._next()
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise BackupError(f"{path}: not a dermtrial backup (no {FORMAT} header)")
        if header.get("format_version") != FORMAT_VERSION:
            raise BackupError(f"{path}: format version {header.get('format_version')}; this dermtrial reads 1")
        self.revision = str(header["revision"])
        self.counts: dict[str, int] = {}

    def _next(self) -> Any:
        try:
            line = self.handle.readline()
        except (OSError, EOFError) as exc:
            raise BackupError(f"{self.path}: damaged or truncated ({exc})") from None
        if not line:
            raise BackupError(f"{self.path}: ends early (no closing line): the file is truncated")
        value = json.loads(line)
        if not (isinstance(value, dict) and "end" in value):
            self.digest.update(line.encode("utf-8"))
        return value

    def tables(self) -> Iterator[_TableData]:
        known = {t.name: t for t in tables()}
        self.pending = self._next()
        while not (isinstance(self.pending, dict) and "end" in self.pending):
            head = self.pending
            if not isinstance(head, dict) or head.get("table") not in known:
                raise BackupError(f"{self.path}: unexpected line where a table should start: {str(head)[:80]}")
            table = known[head["table"]]
            unknown = [name for name in head["columns"] if name not in table.c]
            if unknown:
                raise BackupError(f"{self.path}: table {table.name} has columns this version lacks: {unknown}")
            yield _TableData(table, head["columns"], self._rows(table.name, head["kinds"]))

    def _rows(self, name: str, kinds: list[str]) -> Iterator[tuple[Any, ...]]:
        count = 0
        while True:
            self.pending = self._next()
            if not isinstance(self.pending, list):
                self.counts[name] = count
                return
            count += 1
            yield tuple(decode(kind, value) for kind, value in zip(kinds, self.pending, strict=True))

    def check_end(self) -> None:
        end = self.pending["end"]
        if end.get("sha256") != self.digest.hexdigest():
            raise BackupError(f"{self.path}: its content does not match its closing SHA-256: the file was altered")
        if end.get("rows") != self.counts:
            raise BackupError(f"{self.path}: rows per table {self.counts} differ from the closing line {end['rows']}")

    def close(self) -> None:
        self.handle.close()


class _SqliteReader:
    """Reads a SQLite backup file (never writing to it)."""

    def __init__(self, path: Path) -> None:
        self.engine = create_engine(sqlite_read_url(path))
        self.connection = self.engine.connect()
        revision = revision_of(self.connection)
        if revision is None:
            raise BackupError(f"{path}: a SQLite file without a dermtrial schema")
        self.revision = revision

    def tables(self) -> Iterator[_TableData]:
        present = set(inspect(self.connection).get_table_names())
        for table in tables():
            if table.name not in present:
                continue
            stored = {row[1] for row in self.connection.exec_driver_sql(f'PRAGMA table_info("{table.name}")')}
            columns = [c.name for c in table.columns if c.name in stored]
            yield _TableData(table, columns, iter_rows(self.connection, table, columns))

    def check_end(self) -> None:
        """Nothing to check: SQLite checked its pages when the backup was made."""

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()


def _open(path: Path) -> _PortableReader | _SqliteReader:
    return _SqliteReader(path) if backup_kind(path) == "sqlite" else _PortableReader(path)


def _present_tables(connection: Connection) -> list[str]:
    """Every table of the target (a restore target is a database of its own: its tables are dermtrial's)."""
    return [name for name in inspect(connection).get_table_names() if not name.startswith("sqlite_")]


def holds_data(connection: Connection) -> bool:
    """True when any table has a row, besides the migration's bookkeeping (its revision, the empty chain head)."""
    for name in _present_tables(connection):
        if name == "alembic_version":
            continue
        if name == AuditChainHead.__tablename__:
            if connection.execute(select(func.max(AuditChainHead.__table__.c.last_seq))).scalar():
                return True
        elif connection.exec_driver_sql(f'SELECT 1 FROM "{name}" LIMIT 1').first() is not None:
            return True
    return False


def _drop_schema(connection: Connection) -> None:
    """Drop every table of the target, children first where this version knows them (tables of a later version too)."""
    present = _present_tables(connection)
    known = [t.name for t in reversed(tables()) if t.name in present]
    postgres = connection.dialect.name == "postgresql"
    for name in [*(n for n in present if n not in known), *known]:
        connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"' + (" CASCADE" if postgres else ""))
    if postgres:
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS audit_event_append_only() CASCADE")


def _migrate(db: Database, connection: Connection, revision: str) -> None:
    config = alembic_config(db)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _reset_sequences(connection: Connection) -> None:
    """Move each serial key's sequence past the restored keys, so the next insert gets a fresh key."""
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].autoincrement is False or keys[0].type.python_type is not int:
            continue
        name = keys[0].name
        connection.execute(
            text(
                f'SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX("{name}"), 1), '
                f'MAX("{name}") IS NOT NULL) FROM "{table.name}"'
            ),
            {"table": table.name, "column": name},
        )


def restore(db: Database, path: Path, *, force: bool = False, progress: Progress | None = None) -> RestoreReport:
    """Restore the backup at ``path`` into ``db`` in one transaction; NotEmpty unless it is empty or ``force``."""
    reader = _open(path)
    try:
        known = {script.revision for script in ScriptDirectory.from_config(alembic_config(db)).walk_revisions()}
        if reader.revision not in known:
            raise BackupError(
                f"{path}: made at schema revision {reader.revision}, which this dermtrial does not know "
                f"(it knows {', '.join(sorted(known))}): restore it with the version that made it"
            )
        report = RestoreReport(backup_kind(path), reader.revision)
        with db.write_connection() as connection:
            if holds_data(connection) and not force:
                raise NotEmpty(
                    f"{db.url.render_as_string(hide_password=True)} holds data; restoring would replace it all "
                    "(use --force to replace it)"
                )
            if db.is_sqlite:
                connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            _drop_schema(connection)
            _migrate(db, connection, reader.revision)
            connection.execute(delete(AuditChainHead))
            for data in reader.tables():
                report.rows[data.table.name] = _insert(connection, data, progress)
            reader.check_end()
            if not db.is_sqlite:
                _reset_sequences(connection)
            with Session(bind=connection) as session:
                report.chain = verify_chain(session)
            if not report.chain.ok:
                raise BackupError(f"the restored audit trail does not verify: {report.chain.problem}")
        if reader.revision != head_revision(db):
            report.upgraded_to = upgrade(db)[1]
        return report
    finally:
        reader.close()


def _insert(connection: Connection, data: _TableData, progress: Progress | None) -> int:
    done, batch = 0, []
    statement = data.table.insert()
    for row in data.rows:
        batch.append(dict(zip(data.columns, row, strict=True)))
        if len(batch) == BATCH:
            connection.execute(statement, batch)
            done += len(batch)
            batch = []
            if progress is not None:
                progress(data.table.name, done)
    if batch:
        connection.execute(statement, batch)
        done += len(batch)
    if progress is not None:
        progress(data.table.name, done)
    return done


def table_rows(connection: Connection, table: Table) -> list[tuple[Any, ...]]:
    """Every row of a table in primary-key order (for comparing two databases in tests and checks)."""
    return [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
