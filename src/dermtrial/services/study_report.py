"""Use case: write the study report from the database (``endpoints.json``, ``report.html``, ``report.pdf``, figures).

:func:`write_study_report` is the one assembly of the study report, called by ``dermtrial report --out DIR`` and by
the web report page. It reads the study data through :func:`~dermtrial.services.analysis_data.load_analysis_data`
(the permission check: ``subject.read``, scoped to the actor's sites; a data cut must still verify), derives the
study tables and the PASI endpoints with the pure analysis, and writes the files into ``out_dir``:
``endpoints.json`` atomically, then the report through :func:`~dermtrial.reports.render.write_report`, which moves
its files into place only when all are written. It is read-only on the study data: no unit of work, no audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dermtrial import __version__
from dermtrial.analysis import PasiAnalysis, analyse_pasi
from dermtrial.analysis.missing import check_rule
from dermtrial.analysis.output import endpoints_json_bytes
from dermtrial.analysis.study_tables import StudyTables, derive_study_tables, labs_for_report, pasi_input
from dermtrial.analysis.timepoints import NoTimepoint, window_for
from dermtrial.errors import InvalidInput, Problem
from dermtrial.reports.model import DataCutInfo, ReportInput
from dermtrial.reports.render import ReportFiles, write_atomic, write_report
from dermtrial.reports.study_sections import DataSource, study_methods, study_sections
from dermtrial.services.access import Actor
from dermtrial.services.analysis_data import AnalysisData, load_analysis_data
from dermtrial.services.errors import invalid
from dermtrial.store.engine import Database

ENDPOINTS_FILE = "endpoints.json"


class NoStudyWindow(InvalidInput):
    """The study's protocol defines no week-12 window to analyse (CLI exit 2, HTTP 422)."""


@dataclass(frozen=True)
class StudyReport:
    """What :func:`write_study_report` read, computed and wrote."""

    data: AnalysisData
    tables: StudyTables
    analysis: PasiAnalysis
    endpoints: Path
    files: ReportFiles


def _ignore(_step: str) -> None:
    return None


def write_study_report(
    db: Database,
    actor: Actor,
    out_dir: Path,
    *,
    missing_rule: str = "observed",
    cut: str | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] = _ignore,
) -> StudyReport:
    """Write the study report of the sites ``actor`` may read into ``out_dir`` (see the module docstring).

    ``missing_rule``: observed, nri or locf; ``cut``: a data cut's id or name (None: live data); ``now``: printed on
    the title page as when the report was generated (None leaves it out, so that the same data give the same
    files); ``progress`` is told each step. Raises ``InvalidInput`` for a bad rule or folder, :class:`NoStudyWindow`,
    ``PermissionDenied``, ``NotFound`` (an unknown cut) and ``DataCutChanged`` (a cut that no longer verifies).
    """
    try:
        rule = check_rule(missing_rule)
    except ValueError as exc:
        raise invalid("missing_rule", missing_rule, str(exc)) from None
    if out_dir.exists() and not out_dir.is_dir():
        raise invalid("out", str(out_dir), "exists and is not a directory")
    progress("Reading the study data")
    data = load_analysis_data(db, actor, cut=cut)
    return write_report_of(data, out_dir, missing_rule=rule, now=now, progress=progress)


def write_report_of(
    data: AnalysisData,
    out_dir: Path,
    *,
    missing_rule: str = "observed",
    now: dt.datetime | None = None,
    progress: Callable[[str], None] = _ignore,
) -> StudyReport:
    """Write the study report of ``data`` already read (for a caller that read it as someone, as the demo does).

    The arguments are those of :func:`write_study_report`; nothing is read from or written to the database.
    """
    try:
        rule = check_rule(missing_rule)
    except ValueError as exc:
        raise invalid("missing_rule", missing_rule, str(exc)) from None
    protocol = data.protocol
    try:
        window = window_for(protocol)
    except NoTimepoint as exc:
        message = f"the study's protocol {data.protocol_id}: {exc}"
        raise NoStudyWindow([Problem(("protocol",), message, value=data.protocol_id)]) from None
    progress("Deriving the study tables")
    tables = derive_study_tables(
        protocol=protocol, subjects=data.subjects, assessments=data.assessments, exposures=data.exposures,
        deviations=data.deviations, adverse_events=data.adverse_events, relatedness=data.relatedness, labs=data.labs,
    )  # fmt: skip
    progress("Computing the endpoints")
    label = next((p.label for p in protocol.populations if p.id == tables.primary_population), None)
    population = f"{tables.primary_population}: {label}" if label else tables.primary_population
    analysis = analyse_pasi(pasi_input(tables, data.assessments), protocol, missing_rule=rule, population=population)
    progress("Writing endpoints.json")
    out_dir.mkdir(parents=True, exist_ok=True)
    endpoints = out_dir / ENDPOINTS_FILE
    write_atomic(endpoints, endpoints_json_bytes(analysis.endpoints))
    progress("Writing the report (HTML, PDF, figures)")
    read = data.data_cut
    info = None if read is None else DataCutInfo(read.identifier, read.taken_at, read.snapshot_sha256)
    report = ReportInput(
        protocol_id=data.protocol_id,
        protocol_version=data.protocol_version,
        protocol_title=data.title,
        source="study database, live data" if info is None else f"study database, data cut {info.identifier}",
        endpoints=analysis.endpoints,
        pasi=analysis.pasi,
        software_version=__version__,
        sections=study_sections(tables, protocol, DataSource(data.sites, info)),
        labs=labs_for_report(data.labs, tables),
        data_cut=info,
        methods=(*analysis.methods, *study_methods(tables)),
        week12_window=(window.first_study_day, window.last_study_day),
        generated_at=now,
    )
    files = write_report(out_dir, report)
    return StudyReport(data=data, tables=tables, analysis=analysis, endpoints=endpoints, files=files)
