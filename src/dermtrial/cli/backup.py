"""``dermtrial backup OUT`` and ``dermtrial restore IN --db URL`` (docs/export-and-backup.md).

Run by whoever holds the database (its file, its PostgreSQL login), like ``dermtrial audit verify``: no sign-in.
A restore names its target with ``--db`` explicitly (never the default database) and refuses one that holds data
unless ``--force``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from dermtrial.cli._common import bad_usage, print_json, stderr, stdout
from dermtrial.cli._store import DB_OPTION, database, run
from dermtrial.services.backup import FORMATS, backup_database, restore_database
from dermtrial.store import utc_now


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )


def backup(
    out: Path = typer.Argument(..., help="The backup file to write."),
    db_url: str | None = DB_OPTION,
    backup_format: str | None = typer.Option(
        None,
        "--format",
        help="sqlite (an online-backup copy; SQLite only, the default there) or portable (either engine, the "
        "default on PostgreSQL; restores into either engine).",
    ),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Machine output (JSON) on stdout."),
) -> None:
    """Write a consistent backup of the study database while it stays in use."""
    if backup_format is not None and backup_format not in FORMATS:
        bad_usage(f'--format "{backup_format}": expected one of {", ".join(FORMATS)}')
    with database(db_url) as db, _progress() as progress:
        task = progress.add_task("backing up", total=None)

        def advance(table: str, rows: int) -> None:
            progress.update(task, description=f"backing up {table}: {rows:,} rows")

        report = run(
            lambda: backup_database(db, out, now=utc_now(), backup_format=backup_format, force=force, progress=advance)
        )
    summary = {
        "file": str(report.path),
        "format": report.kind,
        "revision": report.revision,
        "rows": report.rows,
        "sha256": report.sha256,
    }
    if as_json:
        print_json(summary)
        return
    total = sum(report.rows.values())
    stdout.print(
        f"backup written: {report.path} ({report.kind}, schema {report.revision}, {total:,} rows in "
        f"{len(report.rows)} tables, {report.rows.get('audit_event', 0):,} audit events)",
        markup=False,
    )
    stdout.print(f"sha256 {report.sha256}", markup=False)


def restore(
    backup_file: Path = typer.Argument(..., metavar="IN", help="A backup written by dermtrial backup."),
    db_url: str = typer.Option(..., "--db", help="The database to restore into (named explicitly)."),
    force: bool = typer.Option(False, "--force", help="Replace a database that holds data."),
    as_json: bool = typer.Option(False, "--json", help="Machine output (JSON) on stdout."),
) -> None:
    """Restore a backup into an empty database (either engine), re-verifying the audit trail before committing."""
    with database(db_url, must_be_initialised=False) as db, _progress() as progress:
        task = progress.add_task("restoring", total=None)

        def advance(table: str, rows: int) -> None:
            progress.update(task, description=f"restoring {table}: {rows:,} rows")

        report = run(lambda: restore_database(db, backup_file, force=force, progress=advance))
    chain = report.chain
    summary = {
        "backup": str(backup_file),
        "format": report.kind,
        "revision": report.revision,
        "upgraded_to": report.upgraded_to,
        "rows": report.rows,
        "audit": chain.as_dict() if chain is not None else None,
    }
    if as_json:
        print_json(summary)
        return
    stdout.print(
        f"restored {sum(report.rows.values()):,} rows in {len(report.rows)} tables from {backup_file} "
        f"({report.kind}, schema {report.revision})",
        markup=False,
    )
    if chain is not None:
        stdout.print(f"audit trail verified: {chain.events} events, last hash {chain.last_hash}", markup=False)
    if report.upgraded_to:
        stdout.print(f"schema upgraded to {report.upgraded_to}", markup=False)
