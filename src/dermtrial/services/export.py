"""Use case: the raw export of the study data as CSV files, and the offline check of an export's manifest.

``export_csv`` writes, into an empty directory, every file of :mod:`dermtrial.services.export_tables` (subjects,
visits, one file per form and per repeating group, with codes and labels), ``data-dictionary.csv``,
``data-dictionary.md`` (the stored tables' dictionary, generated from the models), ``audit-trail.csv``,
``signatures.csv``, ``export.json`` (what, when, by whom, the audit chain head at the time) and
``MANIFEST.sha256``, which ``sha256sum -c MANIFEST.sha256`` (or ``dermtrial export verify DIR``) checks offline.

Everything is read in one consistent snapshot and streamed row by row (server-side cursors, ``yield_per``), so a
large study exports in constant memory. With ``site_code`` the export is that site's copy: its subjects, their data,
the audit events of the site or its subjects and the signatures of their records. The caller needs ``export.raw``
at that site (or at every site for a whole-study export); the export is then recorded as an ``export`` audit event
carrying the manifest's SHA-256.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, or_, select
from sqlalchemy.orm import Session

from dermtrial.services.access import Actor, find_site, require
from dermtrial.services.errors import invalid
from dermtrial.services.export_tables import (
    SIGNATURE_COLUMNS,
    SUBJECT_COLUMNS,
    VISIT_COLUMNS,
    FormLayout,
    audit_cells,
    cell,
    codelist_labels,
    dictionary_rows,
    form_layouts,
    item_cell,
)
from dermtrial.services.forms import study_protocol
from dermtrial.services.studies import only_study
from dermtrial.services.uow import unit_of_work
from dermtrial.store.audit import EXPORT_FIELDS
from dermtrial.store.backup import BATCH, snapshot
from dermtrial.store.dictionary import dictionary_markdown
from dermtrial.store.engine import Database
from dermtrial.store.models import (
    AdverseEvent,
    AuditChainHead,
    AuditEvent,
    Consent,
    Deviation,
    EligibilityEvaluation,
    Exposure,
    FormInstance,
    LabResult,
    Signature,
    Site,
    Study,
    Subject,
    Visit,
)

MANIFEST = "MANIFEST.sha256"
AUDIT_COLUMNS = {name: f"Audit event field {name} (see docs/audit-trail.md)" for name in EXPORT_FIELDS} | {
    "redacted": "True when an identifying value (a full birth date) was cut to its year in old_value/new_value; "
    "such an event's hash is verified in the database (dermtrial audit verify), not from this file"
}
#: Tables whose records belong to a subject, for choosing the signatures of a site's copy.
_SUBJECT_RECORDS = (Consent, Visit, FormInstance, LabResult, Exposure, AdverseEvent, EligibilityEvaluation, Deviation)

Progress = Callable[[str, int], None]


@dataclass
class ExportReport:
    """What an export wrote: the directory, rows per file, the manifest's SHA-256 and the audit event's number."""

    directory: Path
    site_code: str | None
    rows: dict[str, int] = field(default_factory=dict)
    manifest_sha256: str = ""
    audit_seq: int | None = None


def _stream(connection: Connection, query: Select[Any]) -> Iterator[Any]:
    result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    try:
        yield from result
    finally:
        result.close()


class _Writer:
    """Writes one CSV file under the export directory and counts its rows."""

    def __init__(self, root: Path, name: str, header: Iterable[str], report: ExportReport) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.name, self.report = name, report
        self.handle = path.open("w", encoding="utf-8", newline="")
        self.csv = csv.writer(self.handle, lineterminator="\n")
        self.csv.writerow(list(header))
        report.rows[name] = 0

    def row(self, values: Iterable[str]) -> None:
        self.csv.writerow(list(values))
        self.report.rows[self.name] += 1

    def close(self) -> None:
        self.handle.close()


def _check_directory(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise invalid("out", str(out), "an empty or new directory (an export never mixes with other files)")


def export_csv(
    db: Database,
    actor: Actor,
    out: Path,
    *,
    now: dt.datetime,
    site_code: str | None = None,
    study_id: int | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Export the study (or one site's copy) to ``out`` and record the export in the audit trail."""
    _check_directory(out)
    study_id = study_id if study_id is not None else only_study(db)
    report = ExportReport(out, site_code)
    with snapshot(db) as connection, Session(bind=connection) as session:
        site = find_site(session, study_id, site_code) if site_code is not None else None
        role = require(session, actor, "export.raw", site.id if site else None)
        study = session.get_one(Study, study_id)
        protocol = study_protocol(session, study_id)
        head = session.get_one(AuditChainHead, 1)
        out.mkdir(parents=True, exist_ok=True)
        scope = Subject.study_id == study_id if site is None else Subject.site_id == site.id
        _subjects(connection, out, scope, report)
        _visits(connection, out, scope, report)
        codelists = codelist_labels(protocol)
        layouts = form_layouts(protocol)
        for layout in layouts:
            _form(connection, out, layout, scope, codelists, report)
            if progress is not None:
                progress(layout.form.code, report.rows[layout.file])
        _audit(connection, out, study_id, site, report)
        _signatures(connection, out, site, report)
        dictionary = _Writer(out, "data-dictionary.csv", ["file", "column", "label", "type", "unit", "codes"], report)
        for row in dictionary_rows(layouts, codelists, AUDIT_COLUMNS):
            dictionary.row(row)
        dictionary.close()
        (out / "data-dictionary.md").write_text(dictionary_markdown(), encoding="utf-8")
        about = {
            "study": study.protocol_id,
            "protocol_version": study.protocol_version,
            "protocol_content_hash": study.protocol_content_hash,
            "site": site_code,
            "exported_at": now.isoformat(),
            "exported_by": actor.username,
            "role": role,
            "audit_chain_head": {"last_seq": head.last_seq, "last_hash": head.last_hash},
            "rows": report.rows,
        }
    (out / "export.json").write_text(json.dumps(about, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    report.manifest_sha256 = write_manifest(out)
    with unit_of_work(db, actor=actor, now=now) as work:
        work.require("export.raw", site.id if site else None)
        event = work.record(
            "export",
            entity_type="study",
            entity_id=str(study_id),
            new={"format": "csv", "site": site_code, "manifest_sha256": report.manifest_sha256, "rows": report.rows},
            study_id=study_id,
            site_code=site_code,
        )
    report.audit_seq = event.seq
    return report


def _subjects(connection: Connection, out: Path, scope: Any, report: ExportReport) -> None:
    writer = _Writer(out, "subjects.csv", SUBJECT_COLUMNS, report)
    query = (
        select(Subject.id, Site.code, *(Subject.__table__.c[name] for name in list(SUBJECT_COLUMNS)[2:]))
        .join(Site, Site.id == Subject.site_id)
        .where(scope)
        .order_by(Subject.id)
    )
    for row in _stream(connection, query):
        writer.row(cell(value) for value in row)
    writer.close()


def _visits(connection: Connection, out: Path, scope: Any, report: ExportReport) -> None:
    writer = _Writer(out, "visits.csv", VISIT_COLUMNS, report)
    columns = [Visit.__table__.c[name] for name in list(VISIT_COLUMNS)[4:]]
    query = (
        select(Visit.id, Subject.id, Site.code, Subject.screening_number, *columns)
        .join(Subject, Subject.id == Visit.subject_id)
        .join(Site, Site.id == Subject.site_id)
        .where(scope)
        .order_by(Visit.id)
    )
    for row in _stream(connection, query):
        writer.row(cell(value) for value in row)
    writer.close()


def _form(
    connection: Connection,
    out: Path,
    layout: FormLayout,
    scope: Any,
    codelists: dict[str, dict[str, str]],
    report: ExportReport,
) -> None:
    main = _Writer(out, layout.file, (c.name for c in layout.columns), report)
    groups = {
        g: _Writer(out, layout.group_file(g), (c.name for c in cols), report) for g, cols in layout.groups.items()
    }
    query = (
        select(
            FormInstance,
            Site.code,
            Subject.screening_number,
            Subject.subject_number,
            Visit.visit_code,
            Visit.repeat,
            Visit.visit_local,
        )
        .join(Subject, Subject.id == FormInstance.subject_id)
        .join(Site, Site.id == Subject.site_id)
        .outerjoin(Visit, Visit.id == FormInstance.visit_id)
        .where(scope, FormInstance.form_code == layout.form.code)
        .order_by(FormInstance.id)
    )
    session = Session(bind=connection)
    result = session.execute(query.execution_options(stream_results=True, yield_per=BATCH))
    try:
        for form, site_code, screening, number, visit_code, repeat, visit_local in result:
            keys = {
                "form_id": form.id, "site_code": site_code, "subject_id": form.subject_id,
                "screening_number": screening, "subject_number": number, "visit_code": visit_code,
                "visit_repeat": repeat, "visit_local": visit_local, "form_version": form.form_version,
                "status": form.status, "not_done_reason": form.not_done_reason, "version": form.version,
                "voided": form.voided, "void_reason": form.void_reason, "created_at": form.created_at,
                "updated_at": form.updated_at, "derived": form.derived, "instrument_version": form.instrument_version,
            }  # fmt: skip
            values = form.item_values or {}
            main.row(_cells(layout.columns, keys, values, codelists))
            for group, writer in groups.items():
                for index, row in enumerate(values.get(group) or [], start=1):
                    group_keys = {"form_id": form.id, "site_code": site_code, "screening_number": screening}
                    writer.row(_cells(layout.groups[group], group_keys | {"row": index}, row, codelists))
            session.expunge(form)
    finally:
        result.close()
        session.close()
    for writer in (main, *groups.values()):
        writer.close()


def _cells(columns: list[Any], keys: dict[str, Any], values: dict[str, Any], codelists: Any) -> list[str]:
    out: list[str] = []
    for column in columns:
        if column.item is None and column.name in keys:
            out.append(cell(keys[column.name]))
        else:
            source = column.item.id if column.item is not None else column.name
            out.append(item_cell(column, values.get(source), codelists))
    return out


def _audit(connection: Connection, out: Path, study_id: int, site: Site | None, report: ExportReport) -> None:
    writer = _Writer(out, "audit-trail.csv", AUDIT_COLUMNS, report)
    table = AuditEvent.__table__
    query = select(*(table.c[name] for name in EXPORT_FIELDS)).order_by(table.c.seq)
    if site is not None:
        subjects = select(Subject.id).where(Subject.site_id == site.id)
        query = query.where(or_(table.c.site_code == site.code, table.c.subject_id.in_(subjects)))
    for row in _stream(connection, query):
        writer.row(audit_cells(row._mapping))
    writer.close()


def _signatures(connection: Connection, out: Path, site: Site | None, report: ExportReport) -> None:
    writer = _Writer(out, "signatures.csv", SIGNATURE_COLUMNS, report)
    table = Signature.__table__
    query = select(*(table.c[name] for name in SIGNATURE_COLUMNS)).order_by(table.c.id)
    if site is not None:
        of_site = [
            (table.c.entity_type == model.__tablename__)
            & table.c.entity_id.in_(
                select(model.id).join(Subject, Subject.id == model.subject_id).where(Subject.site_id == site.id)
            )
            for model in _SUBJECT_RECORDS
        ]
        subjects = select(Subject.id).where(Subject.site_id == site.id)
        of_site.append((table.c.entity_type == "subject") & table.c.entity_id.in_(subjects))
        query = query.where(or_(*of_site))
    for row in _stream(connection, query):
        writer.row(cell(value) for value in row)
    writer.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(root: Path) -> str:
    """Write ``MANIFEST.sha256`` (``sha256sum -c`` format) for every file under ``root``; return its own SHA-256."""
    lines = [
        f"{_sha256(path)}  {path.relative_to(root).as_posix()}\n"
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    ]
    manifest = root / MANIFEST
    manifest.write_text("".join(lines), encoding="utf-8", newline="\n")
    return _sha256(manifest)


def verify_manifest(root: Path) -> list[str]:
    """Problems found re-hashing an export against its manifest (empty when every file matches and none is extra)."""
    manifest = root / MANIFEST
    if not manifest.is_file():
        return [f"{manifest}: no manifest"]
    problems: list[str] = []
    listed: set[str] = set()
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            problems.append(f"{MANIFEST}:{number}: not a '<sha256>  <file>' line")
            continue
        listed.add(name)
        path = root / name
        if not path.is_file():
            problems.append(f"{name}: listed in the manifest but missing")
        elif _sha256(path) != digest:
            problems.append(f"{name}: SHA-256 differs from the manifest (the file was changed)")
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_file() and name != MANIFEST and name not in listed:
            problems.append(f"{name}: not listed in the manifest (added after the export)")
    return problems
