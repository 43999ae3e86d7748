"""Use case: read what the study analysis needs from the store, for the sites the actor may read (``subject.read``).

:func:`load_analysis_data` reads, in one consistent snapshot, the study's subjects with their status, enrollment,
screen-failure reasons (the criteria failed at their last eligibility evaluation), end-of-treatment form and rater
changes; the scored instrument forms (PASI, BSA, sPGA, DLQI, itch, Zung) at visits with a date, with the value the
instrument derived when the form was completed; exposures (infusions with their cells and reactions, ointment tubes
dispensed and returned with their weights); protocol deviations; adverse events with relatedness per product and
their SAE reports; laboratory results with their SI value, the reference range in SI units and the CTCAE grade.
Voided records never count. It returns them as polars frames (:class:`AnalysisData`) for the pure analysis.

With a data cut (its id or its name) the cut is first re-computed (:mod:`dermtrial.services.datacut`): a cut whose
records changed since is refused (:class:`DataCutChanged`, naming the cut and the changes); a cut that verifies is
read as it was taken: only records created at or before its audit position. Nothing is written: the read opens no
unit of work and records no audit event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dermtrial.errors import DermtrialError
from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor, permitted_sites, require
from dermtrial.services.analysis_reads import (
    ReadScope,
    frame_of,
    local_date,
    read_adverse_events,
    read_deviations,
    read_exposures,
    read_labs,
    read_relatedness,
)
from dermtrial.services.datacut import SNAPSHOT_TABLES, canonical_lines
from dermtrial.services.errors import NotFound
from dermtrial.services.forms import study_protocol
from dermtrial.services.studies import only_study
from dermtrial.store.backup import snapshot
from dermtrial.store.engine import Database
from dermtrial.store.models import (
    AuditEvent,
    DataCut,
    EligibilityEvaluation,
    Exposure,
    FormInstance,
    Site,
    Study,
    Subject,
    Visit,
)

#: Instrument → the key of its stored derived result that holds the analysed value.
VALUE_KEYS: dict[str, str] = {
    "pasi": "pasi",
    "bsa": "bsa_percent",
    "spga": "spga",
    "dlqi": "total",
    "itch": "score",
    "zung-sas": "index",
    "zung-sds": "index",
}


class DataCutChanged(DermtrialError):
    """The data cut asked for no longer verifies: its records changed since it was taken (CLI exit 1)."""

    def __init__(self, cut: str, stored: str, recomputed: str, changes: list[str]) -> None:
        self.cut, self.stored, self.recomputed, self.changes = cut, stored, recomputed, changes
        super().__init__(
            f'data cut "{cut}" no longer verifies: stored sha256 {stored}, the same records now hash to {recomputed}'
        )


@dataclass(frozen=True)
class CutRead:
    """The data cut the data were read from: its name, when it was taken, its snapshot hash and audit position."""

    identifier: str
    taken_at: dt.datetime
    snapshot_sha256: str
    audit_seq: int


@dataclass(frozen=True)
class AnalysisData:
    """What the analysis reads, as frames (column lists in :func:`load_analysis_data`'s module docstring)."""

    protocol: Protocol
    protocol_id: str
    protocol_version: str
    title: str
    sites: tuple[str, ...]
    subjects: pl.DataFrame
    assessments: pl.DataFrame
    exposures: pl.DataFrame
    deviations: pl.DataFrame
    adverse_events: pl.DataFrame
    relatedness: pl.DataFrame
    labs: pl.DataFrame
    data_cut: CutRead | None
    audit_seq: int | None
    """The audit position of the data cut read; None for live data."""


def _find_cut(session: Session, study_id: int, identifier: str) -> DataCut:
    query = select(DataCut).where(DataCut.study_id == study_id)
    if identifier.isdigit():
        cut = session.scalars(query.where(DataCut.id == int(identifier))).first()
    else:
        cut = session.scalars(query.where(DataCut.name == identifier)).first()
    if cut is None:
        known = ", ".join(f"{c.id} {c.name}" for c in session.scalars(query.order_by(DataCut.id)))
        raise NotFound(f'no data cut "{identifier}" (cuts: {known or "none yet"})', path=("cut",), value=identifier)
    return cut


def _verify(session: Session, cut: DataCut, scope: ReadScope) -> None:
    """Re-compute the cut's hash in this snapshot; refuse it naming the audited changes to its records since."""
    digest = hashlib.sha256()
    for line in canonical_lines(session, cut.study_id, cut.audit_seq):
        digest.update(line)
    if digest.hexdigest() == cut.snapshot_sha256:
        return
    tables = [model.__tablename__ for model in SNAPSHOT_TABLES]
    query = (
        select(AuditEvent)
        .where(AuditEvent.seq > cut.audit_seq, AuditEvent.event_type != "create", AuditEvent.entity_type.in_(tables))
        .order_by(AuditEvent.seq)
    )
    changes: list[str] = []
    for e in session.scalars(query):
        members = scope.members(str(e.entity_type)) or set()
        if e.entity_id is not None and e.entity_id.isdigit() and int(e.entity_id) in members:
            changes.append(f"event {e.seq} {e.event_type} {e.entity_type} {e.entity_id} {e.field or ''}".rstrip())
    if not changes:
        changes = ["no audited change explains the difference: the data were altered outside dermtrial"]
    raise DataCutChanged(cut.name, cut.snapshot_sha256, digest.hexdigest(), changes)


def load_analysis_data(
    db: Database, actor: Actor, *, cut: str | None = None, study_id: int | None = None
) -> AnalysisData:
    """Read the study data the analysis needs (see the module docstring); ``cut``: a data cut's id or name."""
    study_id = study_id if study_id is not None else only_study(db)
    with snapshot(db) as connection, Session(bind=connection) as session:
        sites = permitted_sites(session, actor, "subject.read")
        # the one permission check (an inactive account or no grant at all raises PermissionDenied naming it)
        require(session, actor, "subject.read", None if not sites else min(sites))
        study = session.get_one(Study, study_id)
        protocol = study_protocol(session, study_id)
        info: CutRead | None = None
        audit_seq: int | None = None
        if cut is not None:
            found = _find_cut(session, study_id, cut)
            audit_seq = found.audit_seq
            _verify(session, found, ReadScope(session, study_id, sites, audit_seq))
            info = CutRead(found.name, found.created_at, found.snapshot_sha256, found.audit_seq)
        scope = ReadScope(session, study_id, sites, audit_seq)
        site_query = select(Site.code).where(Site.study_id == study_id).order_by(Site.code)
        if sites is not None:
            site_query = site_query.where(Site.id.in_(sites))
        labels = _subject_labels(scope)
        return AnalysisData(
            protocol=protocol,
            protocol_id=study.protocol_id,
            protocol_version=study.protocol_version,
            title=study.title,
            sites=tuple(session.scalars(site_query)),
            subjects=_subjects(scope, labels),
            assessments=_assessments(scope, labels, protocol),
            exposures=read_exposures(scope, labels),
            deviations=read_deviations(scope, labels),
            adverse_events=read_adverse_events(scope, labels),
            relatedness=read_relatedness(scope),
            labs=read_labs(scope, labels, protocol),
            data_cut=info,
            audit_seq=audit_seq,
        )


def _subject_labels(scope: ReadScope) -> dict[int, str]:
    query = select(Subject.id, Subject.subject_number, Subject.screening_number).where(Subject.id.in_(scope.subjects()))
    return {row[0]: row[1] or row[2] for row in scope.rows(query, "subject")}


SUBJECT_SCHEMA: dict[str, Any] = {
    "subject_id": pl.Int64,
    "subject": pl.String,
    "site": pl.String,
    "screening_number": pl.String,
    "status": pl.String,
    "sex": pl.String,
    "birth_year": pl.Int64,
    "arm": pl.String,
    "enrolled": pl.Boolean,
    "enrolled_on": pl.Date,
    "screen_failure_reasons": pl.List(pl.String),
    "treatment_status": pl.String,
    "discontinuation_reason": pl.String,
    "eot_date": pl.Date,
    "rater_changes": pl.Int64,
}


def _subjects(scope: ReadScope, labels: dict[int, str]) -> pl.DataFrame:
    session = scope.session
    query = (
        select(
            Subject.id, Site.code, Subject.screening_number, Subject.subject_number, Subject.status, Subject.sex,
            Subject.birth_year, Subject.arm_code, Subject.enrolled_on,
        )
        .join(Site, Site.id == Subject.site_id)
        .where(Subject.id.in_(scope.subjects()))
        .order_by(Subject.id)
    )  # fmt: skip
    failing = _failed_criteria(scope)
    eot = _end_of_treatment(scope)
    infused = {
        row[1]
        for row in scope.rows(
            select(Exposure.id, Exposure.subject_id).where(
                Exposure.subject_id.in_(scope.subjects()), Exposure.kind == "administered", Exposure.voided.is_(False)
            ),
            "exposure",
        )
    }
    changes_query = select(AuditEvent.subject_id, func.count()).where(
        AuditEvent.event_type == "rater-change", AuditEvent.subject_id.in_(scope.subjects())
    )
    if scope.audit_seq is not None:
        changes_query = changes_query.where(AuditEvent.seq <= scope.audit_seq)
    rater = {row[0]: int(row[1]) for row in session.execute(changes_query.group_by(AuditEvent.subject_id))}
    rows: list[dict[str, Any]] = []
    for key, site, screening, number, status, sex, birth_year, arm, enrolled_on in scope.rows(query, "subject"):
        stop = eot.get(key)
        if stop is not None:
            treatment = "completed" if stop[0] == "COMPLETED" else "discontinued"
            reason = None if treatment == "completed" else (stop[1] or stop[0])
        else:
            treatment, reason = ("on-treatment" if key in infused else "not-started"), None
        rows.append(
            {
                "subject_id": key, "subject": labels[key], "site": site, "screening_number": screening,
                "status": status, "sex": sex, "birth_year": birth_year, "arm": arm, "enrolled": number is not None,
                "enrolled_on": local_date(enrolled_on), "screen_failure_reasons": failing.get(key, []) if status ==
                "screen-failed" else [], "treatment_status": treatment, "discontinuation_reason": reason,
                "eot_date": None if stop is None else local_date(stop[2]), "rater_changes": rater.get(key, 0),
            }
        )  # fmt: skip
    return frame_of(rows, SUBJECT_SCHEMA)


def _failed_criteria(scope: ReadScope) -> dict[int, list[str]]:
    """Subject → the criteria not satisfied at its last evaluation (``exclusion E3``)."""
    query = (
        select(EligibilityEvaluation.id, EligibilityEvaluation.subject_id, EligibilityEvaluation.criteria)
        .where(EligibilityEvaluation.subject_id.in_(scope.subjects()), EligibilityEvaluation.voided.is_(False))
        .order_by(EligibilityEvaluation.id)
    )
    latest: dict[int, dict[str, Any]] = {}
    for _key, subject_id, criteria in scope.rows(query, "eligibility_evaluation"):
        latest[subject_id] = criteria or {}
    return {
        subject_id: [
            f"{c.get('type', 'criterion')} {c.get('id', key)}"
            for key, c in sorted(criteria.items())
            if isinstance(c, dict) and c.get("result") == "not_satisfied"
        ]
        for subject_id, criteria in latest.items()
    }


def _end_of_treatment(scope: ReadScope) -> dict[int, tuple[str, str | None, str | None]]:
    """Subject → (EOTSTAT, EOTREAS, EOTDAT) of its end-of-treatment form."""
    query = (
        select(FormInstance.id, FormInstance.subject_id, FormInstance.item_values)
        .where(
            FormInstance.subject_id.in_(scope.subjects()),
            FormInstance.form_code == "EOT",
            FormInstance.voided.is_(False),
        )
        .order_by(FormInstance.id)
    )
    out: dict[int, tuple[str, str | None, str | None]] = {}
    for _key, subject_id, values in scope.rows(query, "form_instance"):
        if subject_id not in out:
            v = values or {}
            out[subject_id] = (str(v.get("EOTSTAT") or ""), v.get("EOTREAS"), v.get("EOTDAT"))
    return out


ASSESSMENT_SCHEMA: dict[str, Any] = {
    "subject": pl.String,
    "parameter": pl.String,
    "form": pl.String,
    "visit": pl.String,
    "assessment_date": pl.Date,
    "value": pl.Float64,
    "instrument_version": pl.String,
}


def _assessments(scope: ReadScope, labels: dict[int, str], protocol: Protocol) -> pl.DataFrame:
    instruments = {f.code: f.instrument for f in protocol.forms if f.instrument in VALUE_KEYS}
    query = (
        select(
            FormInstance.id, FormInstance.subject_id, FormInstance.form_code, FormInstance.derived,
            FormInstance.instrument_version, Visit.visit_code, Visit.visit_local,
        )
        .join(Visit, Visit.id == FormInstance.visit_id)
        .where(
            FormInstance.subject_id.in_(scope.subjects()), FormInstance.form_code.in_(list(instruments)),
            FormInstance.voided.is_(False), FormInstance.derived.is_not(None), Visit.voided.is_(False),
            Visit.visit_local.is_not(None),
        )
        .order_by(FormInstance.id)
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    for _key, subject_id, code, derived, version, visit_code, visit_local in scope.rows(query, "form_instance"):
        instrument = instruments[code]
        assert instrument is not None
        value = (derived or {}).get(VALUE_KEYS[instrument])
        if value is None or isinstance(value, bool):
            continue  # not computable: no value to analyse
        rows.append(
            {
                "subject": labels[subject_id], "parameter": instrument, "form": code, "visit": visit_code,
                "assessment_date": local_date(visit_local), "value": float(value), "instrument_version": version,
            }
        )  # fmt: skip
    return frame_of(rows, ASSESSMENT_SCHEMA)
