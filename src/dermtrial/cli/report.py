"""``dermtrial report …``: study reports read from the database.

``dermtrial report --db URL --out DIR`` computes the registered endpoints and the subject-level, population,
disposition and safety tables straight from the study database (live, or a data cut that still verifies) and writes
``DIR/endpoints.json``, ``DIR/report.html``, ``DIR/report.pdf`` and ``DIR/figures/*.png``; it writes nothing to the
database beyond the sign-in and sign-out of the user it runs as. ``dermtrial report missing-forms`` lists missing and
overdue forms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from dermtrial import __version__
from dermtrial.analysis import PasiAnalysis
from dermtrial.analysis.missing import check_rule
from dermtrial.analysis.populations import members
from dermtrial.analysis.study_tables import StudyTables
from dermtrial.cli._common import EXIT_CHECK_FAILED, bad_usage, print_json, stderr, stdout
from dermtrial.cli._store import AS_OPTION, DB_OPTION, database, run, signed_in
from dermtrial.services.analysis_data import AnalysisData, DataCutChanged
from dermtrial.services.missing_forms import missing_forms as missing_forms_service
from dermtrial.services.study_report import ENDPOINTS_FILE as STUDY_ENDPOINTS_FILE
from dermtrial.services.study_report import (
    NoStudyWindow,
    StudyReport,
    write_report_of,
    write_study_report,
)
from dermtrial.store import utc_now

#: Where the report's endpoints go (read from here by ``dermtrial demo``).
ENDPOINTS_FILE = STUDY_ENDPOINTS_FILE

app = typer.Typer(
    help="The study report from the database (--out DIR), and other reports read from it (missing-forms).",
    no_args_is_help=True,
)


def _shown(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


def _summary(analysis: PasiAnalysis, tables: StudyTables, data: AnalysisData) -> None:
    sizes = ", ".join(f"{p.id} {len(members(tables.adsl, p.id))}" for p in data.protocol.populations)
    primary = analysis.endpoints["primary"]
    improvement = primary["improvement_percent"]
    table = Table(title=f"{data.protocol_id}: PASI improvement ({analysis.endpoints['missing_data_rule']})")
    table.add_column("result")
    table.add_column("value")
    table.add_row("populations", sizes)
    table.add_row("n (improvement computable)", f"{primary['n']} ({primary['n_missing']} missing)")
    table.add_row("mean / median improvement %", f"{_shown(improvement['mean'])} / {_shown(improvement['median'])}")
    for name, rate in analysis.endpoints["responders"].items():
        table.add_row(name.upper(), f"{rate['n']} of {rate['of']}")
    stdout.print(table)


@app.callback(invoke_without_command=True)
def study_report(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="DIR", help="Directory for endpoints.json and the study report.")
    ] = None,
    missing: Annotated[
        str, typer.Option("--missing", metavar="RULE", help="Missing-data rule: observed (default), nri or locf.")
    ] = "observed",
    cut: Annotated[
        str | None,
        typer.Option("--cut", metavar="IDENTIFIER", help="Report on this data cut (id or name); it must still verify."),
    ] = None,
    db_url: str | None = DB_OPTION,
    username: str | None = AS_OPTION,
) -> None:
    """Compute the endpoints and the study tables from the database; write endpoints.json and the report."""
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        bad_usage("say where the report goes: --out DIR (or run a sub-command such as missing-forms)")
    try:
        rule = check_rule(missing)
    except ValueError as exc:
        bad_usage(f"--missing: {exc}")
    if out.exists() and not out.is_dir():
        bad_usage(f"--out {out}: exists and is not a directory")
    with (
        database(db_url) as db,
        signed_in(db, username) as actor,
        Progress(SpinnerColumn(), TextColumn("{task.description}"), console=stderr, transient=True) as progress,
    ):
        task = progress.add_task("Reading the study data", total=None)

        def step(description: str) -> None:
            progress.update(task, description=description)

        def write() -> StudyReport:
            try:
                return write_study_report(db, actor, out, missing_rule=rule, cut=cut, progress=step)
            except NoStudyWindow as exc:
                bad_usage(exc.problems[0].message)

        try:
            written = run(write)
        except DataCutChanged as exc:
            progress.stop()
            stderr.print(f"error: {exc}", markup=False)
            for line in exc.changes:
                stderr.print(f"  {line}", markup=False)
            raise typer.Exit(EXIT_CHECK_FAILED) from None
    _print_written(written)


def _write(data: AnalysisData, out: Path, rule: str) -> None:
    """Write and print the report of ``data`` already read, as ``dermtrial report --out`` does (``dermtrial demo``)."""
    try:
        written = write_report_of(data, out, missing_rule=rule)
    except NoStudyWindow as exc:
        bad_usage(exc.problems[0].message)
    _print_written(written)


def _print_written(written: StudyReport) -> None:
    _summary(written.analysis, written.tables, written.data)
    files = written.files
    stdout.print(f"Wrote {written.endpoints}, {files.html}, {files.pdf} and {len(files.figures)} figures", markup=False)
    read = written.data.data_cut
    where = "live data" if read is None else f"data cut {read.identifier} (sha256 {read.snapshot_sha256})"
    sha = written.analysis.endpoints["data_sha256"]
    stdout.print(f"dermtrial {__version__}; {where}; data SHA-256 {sha}", markup=False)


@app.command("missing-forms")
def missing_forms(
    site: Annotated[str | None, typer.Option("--site", help="Only this site (code).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Machine output (JSON) on stdout.")] = False,
    db_url: str | None = DB_OPTION,
    username: str | None = AS_OPTION,
) -> None:
    """List missing and overdue forms per subject and visit (the sites you may read, or --site)."""
    with database(db_url) as db, signed_in(db, username) as actor:
        rows = run(lambda: missing_forms_service(db, actor, now=utc_now(), site_code=site))
    if json_output:
        print_json({"missing_forms": [r.to_json() for r in rows]})
        return
    if not rows:
        stdout.print("No missing or overdue forms.")
        return
    table = Table(title=f"Missing forms ({sum(r.overdue for r in rows)} overdue of {len(rows)})")
    for column in ("site", "subject", "visit", "form", "status", "overdue", "window end"):
        table.add_column(column)
    for r in rows:
        end = "" if r.window_end is None else r.window_end.isoformat()
        table.add_row(r.site, r.subject, r.visit, r.form, r.status, "yes" if r.overdue else "", end)
    stdout.print(table)
