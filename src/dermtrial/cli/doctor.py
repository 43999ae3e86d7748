"""``dermtrial doctor``: the installation check for sites and auditors (the checks live in services.doctor)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy.exc import ArgumentError

from dermtrial.cli._common import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, bad_usage, print_json, stdout
from dermtrial.services.doctor import DoctorReport, run_doctor
from dermtrial.store import Database

_STYLE = {"ok": "green", "failed": "bold red", "absent": "yellow"}


def _open(url: str) -> Database:
    try:
        db = Database(url)
    except (ArgumentError, ValueError) as exc:
        bad_usage(f"--db {url}: {exc}")
    if db.is_sqlite and not Path(db.url.database or "").is_file():
        db.dispose()
        bad_usage(f"--db {url}: no such SQLite file (doctor never creates a database)")
    return db


def _table(report: DoctorReport) -> Table:
    title = "dermtrial doctor" + (f": {report.database}" if report.database else " (no --db: database checks skipped)")
    table = Table(title=title)
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    for check in report.checks:
        name = check.name if check.required else f"{check.name} (informational)"
        status = check.status
        table.add_row(name, f"[{_STYLE[status]}]{status}[/]", check.detail.replace("[", r"\["))
    return table


def doctor(
    db_url: str | None = typer.Option(
        None, "--db", help="Also check this database: reachable, migrations at head, audit chain, site time zones."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine output (JSON) on stdout."),
) -> None:
    """Check this installation: Python, packages, time zones, built-in protocols, PDF rendering and the database."""
    db = _open(db_url) if db_url is not None else None
    try:
        report = run_doctor(db)
    finally:
        if db is not None:
            db.dispose()
    if as_json:
        print_json(report.as_dict())
    else:
        stdout.print(_table(report))
        verdict = "all required checks pass" if report.ok else "a required check FAILED"
        stdout.print(verdict, markup=False)
    unreachable = any(check.name == "database" and not check.ok for check in report.checks)
    if unreachable:
        raise typer.Exit(EXIT_BAD_INPUT)
    if not report.ok:
        raise typer.Exit(EXIT_CHECK_FAILED)
