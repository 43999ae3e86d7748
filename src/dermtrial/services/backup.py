"""Use cases of the operator: back up the study database and restore a backup (docs/export-and-backup.md).

Both are run by whoever holds the database itself (its file, or its PostgreSQL login), like ``dermtrial audit
verify``, not by a signed-in study role. Neither writes to the audit trail: a backup only reads (so a read-only
replica can be backed up), and a restore must give back the very records backed up, chain head included; the
restore re-verifies the chain before it commits.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dermtrial.services.errors import Conflict, invalid
from dermtrial.store.backup import BackupError, BackupReport, Progress, backup_portable, backup_sqlite
from dermtrial.store.engine import Database
from dermtrial.store.restore import NotEmpty, RestoreReport, restore

FORMATS = ("sqlite", "portable")


def backup_database(
    db: Database,
    out: Path,
    *,
    now: dt.datetime,
    backup_format: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> BackupReport:
    """Write a consistent backup of ``db`` to ``out``: by default a SQLite copy of SQLite, else portable."""
    chosen = backup_format or ("sqlite" if db.is_sqlite else "portable")
    if chosen not in FORMATS:
        raise invalid("format", chosen, f"one of {', '.join(FORMATS)}")
    if chosen == "sqlite" and not db.is_sqlite:
        raise invalid("format", chosen, "a SQLite copy is made from a SQLite database; from PostgreSQL use portable")
    if out.exists() and not force:
        raise Conflict(f"{out} exists; give another name or --force to replace it", path=("out",), value=str(out))
    if out.is_dir():
        raise invalid("out", str(out), "a file name, not a directory")
    try:
        if chosen == "sqlite":
            return backup_sqlite(db, out)
        return backup_portable(db, out, now=now, progress=progress)
    except BackupError as exc:
        raise invalid("db", db.url.render_as_string(hide_password=True), str(exc)) from None


def restore_database(
    db: Database, backup: Path, *, force: bool = False, progress: Progress | None = None
) -> RestoreReport:
    """Restore ``backup`` into ``db``; refused (Conflict) when ``db`` holds data unless ``force``."""
    if not backup.is_file():
        raise invalid("backup", str(backup), "no such file")
    try:
        return restore(db, backup, force=force, progress=progress)
    except NotEmpty as exc:
        raise Conflict(str(exc), path=("db",), value=db.url.render_as_string(hide_password=True)) from None
    except BackupError as exc:
        raise invalid("backup", str(backup), str(exc)) from None
