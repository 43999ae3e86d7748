"""``dermtrial analyze``: the PASI endpoints and the study report from a long CSV of assessments.

Reads and checks the whole CSV and the protocol first; on bad input it prints one line per problem, exits 2 and
writes nothing. Then it writes ``DIR/endpoints.json`` and the report (``report.html``, ``report.pdf``,
``figures/*.png``) and prints a short summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from dermtrial import __version__
from dermtrial.analysis import PasiAnalysis, analyse_pasi
from dermtrial.analysis.input import AnalysisInputError, read_assessments_csv
from dermtrial.analysis.missing import check_rule
from dermtrial.analysis.output import endpoints_json_bytes
from dermtrial.analysis.timepoints import NoTimepoint, window_for
from dermtrial.analysis.treated import select_treated
from dermtrial.cli._common import bad_usage, exit_bad_input, stderr, stdout
from dermtrial.protocol.builtin import builtin_ids, resolve
from dermtrial.protocol.loader import validate_text
from dermtrial.protocol.model import Protocol
from dermtrial.reports.model import ReportInput
from dermtrial.reports.render import write_atomic, write_report

ENDPOINTS_FILE = "endpoints.json"


def _protocol(id_or_file: str) -> Protocol:
    try:
        text, source = resolve(id_or_file)
    except FileNotFoundError:
        known = ", ".join(builtin_ids())
        bad_usage(f"--protocol {id_or_file}: no such file, and not a built-in protocol (built-in: {known})")
    except UnicodeDecodeError:
        bad_usage(f"--protocol {id_or_file}: not UTF-8 text")
    report = validate_text(text, source)
    if report.invalid or report.protocol is None:
        exit_bad_input(report.invalid)
    try:
        window_for(report.protocol)
    except NoTimepoint as exc:
        bad_usage(f"--protocol {id_or_file}: {exc}")
    return report.protocol


def _number(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _print_summary(analysis: PasiAnalysis, out: Path) -> None:
    endpoints = analysis.endpoints
    primary = endpoints["primary"]
    improvement = primary["improvement_percent"]
    ci = improvement["ci95"]
    table = Table(title=f"PASI at {endpoints['window']['visit']} ({endpoints['missing_data_rule']})")
    table.add_column("result")
    table.add_column("value")
    table.add_row("subjects analysed", str(endpoints["population"]["n"]))
    if endpoints.get("left_out"):
        table.add_row("left out (never treated)", str(len(endpoints["left_out"])))
    table.add_row("n (improvement computable)", f"{primary['n']} ({primary['n_missing']} missing)")
    table.add_row("imputed", str(endpoints["n_imputed"]))
    table.add_row(
        "mean improvement %",
        _number(improvement["mean"]) + ("" if ci is None else f" (95 % CI {_number(ci[0])} to {_number(ci[1])})"),
    )
    table.add_row("median improvement %", _number(improvement["median"]))
    for rate in endpoints["responders"].values():
        share = "" if rate["proportion"] is None else f" ({100 * rate['proportion']:.1f} %)"
        table.add_row(f"PASI{rate['threshold_percent']} responders", f"{rate['n']} of {rate['of']}{share}")
    stdout.print(table)
    stdout.print(f"Wrote {out / ENDPOINTS_FILE}", markup=False)


def analyze(
    protocol_id: Annotated[
        str, typer.Option("--protocol", metavar="ID", help="A built-in protocol id or a protocol file.")
    ],
    input_path: Annotated[
        Path,
        typer.Option(
            "--input", metavar="FILE.csv", help="Long CSV: subject,first_treatment_date,assessment_date,pasi."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Directory for endpoints.json and the report.")],
    missing: Annotated[
        str, typer.Option("--missing", metavar="RULE", help="Missing-data rule: observed (default), nri or locf.")
    ] = "observed",
) -> None:
    """Compute the PASI endpoints from a CSV of assessments; write endpoints.json and the study report."""
    try:
        rule = check_rule(missing)
    except ValueError as exc:
        bad_usage(f"--missing: {exc}")
    if out.exists() and not out.is_dir():
        bad_usage(f"--out {out}: exists and is not a directory")
    blocking = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        bad_usage(f"--out {out}: {blocking} is a file, so the directory cannot be created")
    protocol = _protocol(protocol_id)
    try:
        assessments = read_assessments_csv(input_path)
    except FileNotFoundError:
        bad_usage(f"--input {input_path}: no such file")
    except IsADirectoryError:
        bad_usage(f"--input {input_path}: is a directory, not a file")
    except OSError as exc:
        bad_usage(f"--input {input_path}: cannot be read ({exc.strerror or exc})")
    except AnalysisInputError as exc:
        exit_bad_input(exc.problems)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=stderr, transient=True) as progress:
        task = progress.add_task("Computing the endpoints", total=None)
        treated = select_treated(assessments, protocol)
        analysis = analyse_pasi(treated.assessments, protocol, missing_rule=rule, population=treated.label)
        analysis.endpoints["left_out"] = treated.left_out_json()
        progress.update(task, description="Writing endpoints.json")
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / ENDPOINTS_FILE, endpoints_json_bytes(analysis.endpoints))
        progress.update(task, description="Writing the report (HTML, PDF, figures)")
        window = analysis.endpoints["window"]
        report = ReportInput(
            protocol_id=protocol.identity.registry_id,
            protocol_version=protocol.version,
            protocol_title=protocol.identity.brief_title,
            source=f"CSV file {input_path.name}",
            endpoints=analysis.endpoints,
            pasi=analysis.pasi,
            software_version=__version__,
            methods=(
                *analysis.methods,
                "Population of a CSV: the subjects with a first treatment date (the full analysis set's closest fact "
                f"in a long CSV); {len(treated.left_out)} subject(s) without one (never treated, e.g. screen failures) "
                "were left out and are listed under left_out in endpoints.json.",
            ),
            week12_window=(window["first_study_day"], window["last_study_day"]),
        )
        files = write_report(out, report)
    _print_summary(analysis, out)
    stdout.print(f"Wrote {files.html}, {files.pdf} and {len(files.figures)} figures in {out / 'figures'}", markup=False)
    stdout.print(f"dermtrial {__version__}; data SHA-256 {analysis.endpoints['data_sha256']}", markup=False)
