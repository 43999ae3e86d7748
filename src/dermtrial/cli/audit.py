"""``dermtrial audit verify`` and ``dermtrial audit export``: the inspector's view of the audit trail.

Both read the database directly (whoever can open the database URL can read its tables anyway); neither changes it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import typer
from sqlalchemy import or_, select

from dermtrial.cli._common import EXIT_CHECK_FAILED, bad_usage, print_json, stdout
from dermtrial.cli._store import DB_OPTION, database
from dermtrial.services.audit import export_audit_trail, verify_audit_trail
from dermtrial.store.audit import EXPORT_FIELDS, AuditFilter
from dermtrial.store.engine import Database
from dermtrial.store.models import Subject

app = typer.Typer(help="The audit trail: verify its hash chain, export it.", no_args_is_help=True)


class Format(StrEnum):
    """Export formats."""

    csv = "csv"
    json = "json"


@app.command("verify")
def verify(
    db_url: str | None = DB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Machine output (JSON) on stdout."),
) -> None:
    """Re-compute every event's hash and link; exit 1 naming the first event that does not match."""
    with database(db_url) as db:
        report = verify_audit_trail(db, None)
        if as_json:
            print_json(report.as_dict())
        elif report.ok:
            stdout.print(f"audit trail verified: {report.events} events, last hash {report.last_hash}", markup=False)
        else:
            stdout.print(f"audit trail BROKEN at event {report.first_bad_seq}: {report.problem}", markup=False)
            stdout.print(f"events 1-{report.last_seq} verify (last good hash {report.last_hash})", markup=False)
        if not report.ok:
            raise typer.Exit(EXIT_CHECK_FAILED)


def _utc_bound(option: str, value: str | None, *, end: bool) -> dt.datetime | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(), dt.UTC)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        bad_usage(f'{option} "{value}": expected a date YYYY-MM-DD or a UTC date-time YYYY-MM-DDTHH:MM:SSZ')
    if moment.tzinfo is None:
        bad_usage(f'{option} "{value}": a date-time needs its zone (audit times are UTC: add Z)')
    return moment


def _subject_id(db: Database, number: str | None) -> int | None:
    if number is None:
        return None
    with db.reading() as session:
        ids = list(
            session.scalars(
                select(Subject.id).where(or_(Subject.screening_number == number, Subject.subject_number == number))
            )
        )
    if len(ids) != 1:
        bad_usage(f'--subject "{number}": no subject has this screening or subject number')
    return ids[0]


def _write(out: IO[str], rows: Iterable[dict[str, Any]], fmt: Format) -> int:
    count = 0
    if fmt is Format.csv:
        writer = csv.DictWriter(out, fieldnames=list(EXPORT_FIELDS), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
        return count
    out.write("[")
    for row in rows:
        out.write(("\n" if count == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


@app.command("export")
def export(
    fmt: Format = typer.Option(Format.csv, "--format", help="csv or json."),
    subject: str | None = typer.Option(
        None, "--subject", help="Only events of this subject (screening or subject number)."
    ),
    entity: str | None = typer.Option(None, "--entity", help="Only events of this table, or TABLE:ID for one record."),
    since: str | None = typer.Option(None, "--since", help="From this UTC date (YYYY-MM-DD) or date-time, inclusive."),
    until: str | None = typer.Option(None, "--until", help="Up to this UTC date, inclusive, or before this date-time."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file instead of stdout."),
    db_url: str | None = DB_OPTION,
) -> None:
    """Export audit events in chain order, streamed (constant memory), with the hashes to re-verify them."""
    with database(db_url) as db:
        entity_type, _, entity_id = (entity or "").partition(":")
        where = AuditFilter(
            subject_id=_subject_id(db, subject),
            entity_type=entity_type or None,
            entity_id=entity_id or None,
            since=_utc_bound("--since", since, end=False),
            until=_utc_bound("--until", until, end=True),
        )
        rows = export_audit_trail(db, None, where)
        if out is None:
            _write(sys.stdout, rows, fmt)
            return
        with out.open("w", encoding="utf-8", newline="") as handle:
            count = _write(handle, rows, fmt)
        stdout.print(f"{count} events written to {out}", markup=False)
