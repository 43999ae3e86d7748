"""``dermtrial report …``: study reports read from the database.

``dermtrial report --db URL --out DIR`` computes the registered endpoints and the subject-level, population,
disposition and safety tables straight from the study database (live, or a data cut that still verifies) and writes
``DIR/endpoints.json``, ``DIR/report.html``, ``DIR/report.pdf`` and ``DIR/figures/*.png``; it writes nothing to the
database beyond the sign-in and sign-out of the user it runs as. ``dermtrial report missing-forms`` lists missing and
overdue forms.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from dermtrial import __version__
from dermtrial.analysis import PasiAnalysis, analyse_pasi
from dermtrial.analysis.missing import check_rule
from dermtrial.analysis.output import endpoints_json_bytes
from dermtrial.analysis.populations import members
from dermtrial.analysis.study_tables import StudyTables, derive_study_tables, labs_for_report, pasi_input
from dermtrial.analysis.timepoints import NoTimepoint, window_for
from dermtrial.cli._common import EXIT_CHECK_FAILED, bad_usage, print_json, stderr, stdout
from dermtrial.cli._store import AS_OPTION, DB_OPTION, database, run, signed_in
from dermtrial.reports.model import DataCutInfo, ReportInput
from dermtrial.reports.render import write_report
from dermtrial.reports.study_sections import DataSource, study_methods, study_sections
from dermtrial.services.analysis_data import AnalysisData, DataCutChanged, load_analysis_data
from dermtrial.services.missing_forms import missing_forms as missing_forms_service
from dermtrial.store import utc_now

app = typer.Typer(
    help="The study report from the database (--out DIR), and other reports read from it (missing-forms).",
    no_args_is_help=True,
)

ENDPOINTS_FILE = "endpoints.json"


def _write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` through a temporary file in the same directory, so that no reader sees half a file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
    with database(db_url) as db, signed_in(db, username) as actor:
        try:
            data = run(lambda: load_analysis_data(db, actor, cut=cut))
        except DataCutChanged as exc:
            stderr.print(f"error: {exc}", markup=False)
            for line in exc.changes:
                stderr.print(f"  {line}", markup=False)
            raise typer.Exit(EXIT_CHECK_FAILED) from None
    _write(data, out, rule)


def _write(data: AnalysisData, out: Path, rule: str) -> None:
    protocol = data.protocol
    try:
        window = window_for(protocol)
    except NoTimepoint as exc:
        bad_usage(f"the study's protocol {data.protocol_id}: {exc}")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=stderr, transient=True) as progress:
        task = progress.add_task("Deriving the study tables", total=None)
        tables = derive_study_tables(
            protocol=protocol, subjects=data.subjects, assessments=data.assessments, exposures=data.exposures,
            deviations=data.deviations, adverse_events=data.adverse_events, relatedness=data.relatedness,
            labs=data.labs,
        )  # fmt: skip
        progress.update(task, description="Computing the endpoints")
        label = next((p.label for p in protocol.populations if p.id == tables.primary_population), None)
        population = f"{tables.primary_population}: {label}" if label else tables.primary_population
        analysis = analyse_pasi(
            pasi_input(tables, data.assessments), protocol, missing_rule=rule, population=population
        )
        progress.update(task, description="Writing endpoints.json")
        out.mkdir(parents=True, exist_ok=True)
        _write_bytes(out / ENDPOINTS_FILE, endpoints_json_bytes(analysis.endpoints))
        progress.update(task, description="Writing the report (HTML, PDF, figures)")
        read = data.data_cut
        cut = None if read is None else DataCutInfo(read.identifier, read.taken_at, read.snapshot_sha256)
        report = ReportInput(
            protocol_id=data.protocol_id,
            protocol_version=data.protocol_version,
            protocol_title=data.title,
            source="study database, live data" if cut is None else f"study database, data cut {cut.identifier}",
            endpoints=analysis.endpoints,
            pasi=analysis.pasi,
            software_version=__version__,
            sections=study_sections(tables, protocol, DataSource(data.sites, cut)),
            labs=labs_for_report(data.labs, tables),
            data_cut=cut,
            methods=(*analysis.methods, *study_methods(tables)),
            week12_window=(window.first_study_day, window.last_study_day),
        )
        files = write_report(out, report)
    _summary(analysis, tables, data)
    written = f"{out / ENDPOINTS_FILE}, {files.html}, {files.pdf} and {len(files.figures)} figures"
    stdout.print(f"Wrote {written}", markup=False)
    where = "live data" if cut is None else f"data cut {cut.identifier} (sha256 {cut.snapshot_sha256})"
    stdout.print(f"dermtrial {__version__}; {where}; data SHA-256 {analysis.endpoints['data_sha256']}", markup=False)


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
