"""``dermtrial export csv`` (the raw export, acting as a signed-in user) and ``dermtrial export verify DIR``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from dermtrial.cli._common import EXIT_CHECK_FAILED, bad_usage, print_json, stderr, stdout
from dermtrial.cli._store import AS_OPTION, DB_OPTION, database, run, signed_in
from dermtrial.services.export import MANIFEST, export_csv, verify_manifest
from dermtrial.store import utc_now

app = typer.Typer(help="Raw exports of the study data, and their offline check.", no_args_is_help=True)


@app.command("csv")
def csv_export(
    out: Path = typer.Option(..., "--out", help="An empty or new directory to write the export into."),
    site: str | None = typer.Option(None, "--site", help="Only this site's data (the investigator's copy)."),
    as_user: str | None = AS_OPTION,
    db_url: str | None = DB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Machine output (JSON) on stdout."),
) -> None:
    """Export the study data as CSV (one file per form, codes and labels) with a SHA-256 manifest."""
    with (
        database(db_url) as db,
        signed_in(db, as_user) as actor,
        Progress(console=stderr, transient=True, disable=not stderr.is_terminal) as progress,
    ):
        task = progress.add_task("exporting", total=None)

        def advance(form: str, rows: int) -> None:
            progress.update(task, description=f"exporting form {form}: {rows:,} rows")

        report = run(lambda: export_csv(db, actor, out, now=utc_now(), site_code=site, progress=advance))
    if as_json:
        print_json(
            {
                "directory": str(report.directory),
                "site": report.site_code,
                "rows": report.rows,
                "manifest_sha256": report.manifest_sha256,
                "audit_seq": report.audit_seq,
            }
        )
        return
    scope = f"site {site}" if site else "the whole study"
    stdout.print(f"exported {scope} to {out}: {len(report.rows)} CSV files", markup=False)
    stdout.print(f"{MANIFEST} sha256 {report.manifest_sha256} (audit event {report.audit_seq})", markup=False)
    stdout.print(f"check it offline: cd {out} && sha256sum -c {MANIFEST}", markup=False)


@app.command("verify")
def verify(
    directory: Path = typer.Argument(..., help="The export directory."),
    as_json: bool = typer.Option(False, "--json", help="Machine output (JSON) on stdout."),
) -> None:
    """Re-hash an export's files against its manifest; exit 1 naming every changed, missing or added file."""
    if not directory.is_dir():
        bad_usage(f"{directory}: not a directory")
    problems = verify_manifest(directory)
    if as_json:
        print_json({"ok": not problems, "problems": problems})
    elif problems:
        for problem in problems:
            stdout.print(problem, markup=False)
    else:
        stdout.print(f"{directory}: every file matches {MANIFEST}", markup=False)
    if problems:
        raise typer.Exit(EXIT_CHECK_FAILED)
