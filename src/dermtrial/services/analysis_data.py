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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dermtrial.eligibility.labs import conversion
from dermtrial.errors import DermtrialError
from dermtrial.protocol.model import Protocol
from dermtrial.reports.model import DataCutInfo
from dermtrial.services.access import Actor, permitted_sites, require
from dermtrial.services.datacut import canonical_lines
from dermtrial.services.errors import NotFound
from dermtrial.services.forms import study_protocol
from dermtrial.services.studies import only_study
from dermtrial.store.backup import snapshot
from dermtrial.store.engine import Database
from dermtrial.store.models import (
    AdverseEvent,
    AuditEvent,
    DataCut,
    Deviation,
    EligibilityEvaluation,
    Exposure,
    FormInstance,
    LabResult,
    ReferenceRange,
    SaeReport,
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
    data_cut: DataCutInfo | None
    audit_seq: int | None
    """The audit position the data were read at: the cut's, or the chain head's for live data."""


def _date(value: str | None) -> dt.date | None:
    return None if not value else dt.date.fromisoformat(value[:10])


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


def _verify(session: Session, cut: DataCut) -> None:
    digest = hashlib.sha256()
    for line in canonical_lines(session, cut.study_id, cut.audit_seq):
        digest.update(line)
    if digest.hexdigest() != cut.snapshot_sha256:
        changes = [
            f"event {e.seq} {e.event_type} {e.entity_type} {e.entity_id} {e.field or ''}".rstrip()
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.seq > cut.audit_seq, AuditEvent.event_type != "create")
                .order_by(AuditEvent.seq)
                .limit(20)
            )
        ]
        raise DataCutChanged(cut.name, cut.snapshot_sha256, digest.hexdigest(), changes)


class _Scope:
    """The subjects read (study, permitted sites) and, for a cut, the records that belong to it."""

    def __init__(self, session: Session, study_id: int, sites: set[int] | None, audit_seq: int | None) -> None:
        self.session, self.study_id, self.sites, self.audit_seq = session, study_id, sites, audit_seq
        self._members: dict[str, set[int]] = {}

    def subjects(self) -> Any:
        query = select(Subject.id).where(Subject.study_id == self.study_id, Subject.voided.is_(False))
        if self.sites is not None:
            query = query.where(Subject.site_id.in_(self.sites))
        return query

    def members(self, table: str) -> set[int] | None:
        if self.audit_seq is None:
            return None
        if table not in self._members:
            query = select(AuditEvent.entity_id).where(
                AuditEvent.event_type == "create", AuditEvent.entity_type == table, AuditEvent.seq <= self.audit_seq
            )
            self._members[table] = {int(key) for key in self.session.scalars(query) if key is not None}
        return self._members[table]

    def rows(self, query: Any, table: str) -> Iterable[Any]:
        """The rows of ``query`` (whose first column is the record's key) that belong to the cut, if any."""
        keep = self.members(table)
        for row in self.session.execute(query):
            if keep is None or row[0] in keep:
                yield row


def load_analysis_data(
    db: Database, actor: Actor, *, cut: str | None = None, study_id: int | None = None
) -> AnalysisData:
    """Read the study data the analysis needs (see the module docstring); ``cut``: a data cut's id or name."""
    study_id = study_id if study_id is not None else only_study(db)
    with snapshot(db) as connection, Session(bind=connection) as session:
        sites = permitted_sites(session, actor, "subject.read")
        if sites is not None and not sites:
            require(session, actor, "subject.read")  # raises PermissionDenied naming what the user holds
        study = session.get_one(Study, study_id)
        protocol = study_protocol(session, study_id)
        info: DataCutInfo | None = None
        audit_seq: int | None = None
        if cut is not None:
            found = _find_cut(session, study_id, cut)
            _verify(session, found)
            info = DataCutInfo(found.name, found.created_at, found.snapshot_sha256)
            audit_seq = found.audit_seq
        scope = _Scope(session, study_id, sites, audit_seq)
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
            exposures=_exposures(scope, labels),
            deviations=_deviations(scope, labels),
            adverse_events=_adverse_events(scope, labels),
            relatedness=_relatedness(scope),
            labs=_labs(scope, labels, protocol),
            data_cut=info,
            audit_seq=audit_seq,
        )


def _subject_labels(scope: _Scope) -> dict[int, str]:
    query = select(Subject.id, Subject.subject_number, Subject.screening_number).where(Subject.id.in_(scope.subjects()))
    return {row[0]: row[1] or row[2] for row in scope.rows(query, "subject")}


def _frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema)


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


def _subjects(scope: _Scope, labels: dict[int, str]) -> pl.DataFrame:
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
                "enrolled_on": _date(enrolled_on), "screen_failure_reasons": failing.get(key, []) if status ==
                "screen-failed" else [], "treatment_status": treatment, "discontinuation_reason": reason,
                "eot_date": None if stop is None else _date(stop[2]), "rater_changes": rater.get(key, 0),
            }
        )  # fmt: skip
    return _frame(rows, SUBJECT_SCHEMA)


def _failed_criteria(scope: _Scope) -> dict[int, list[str]]:
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


def _end_of_treatment(scope: _Scope) -> dict[int, tuple[str, str | None, str | None]]:
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


def _assessments(scope: _Scope, labels: dict[int, str], protocol: Protocol) -> pl.DataFrame:
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
                "assessment_date": _date(visit_local), "value": float(value), "instrument_version": version,
            }
        )  # fmt: skip
    return _frame(rows, ASSESSMENT_SCHEMA)


EXPOSURE_SCHEMA: dict[str, Any] = {
    "subject": pl.String,
    "intervention": pl.String,
    "kind": pl.String,
    "product_unit": pl.String,
    "date": pl.Date,
    "amount": pl.Float64,
    "dose_unit": pl.String,
    "reactions": pl.List(pl.String),
    "grams_per_week": pl.Float64,
    "above_limit": pl.Boolean,
}


def _exposures(scope: _Scope, labels: dict[int, str]) -> pl.DataFrame:
    query = (
        select(
            Exposure.id, Exposure.subject_id, Exposure.intervention_code, Exposure.kind, Exposure.product_unit,
            Exposure.started_local, Exposure.dose_amount, Exposure.dose_unit, Exposure.custody,
        )
        .where(Exposure.subject_id.in_(scope.subjects()), Exposure.voided.is_(False))
        .order_by(Exposure.id)
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    for _key, subject_id, product, kind, unit_id, started, amount, dose_unit, custody in scope.rows(query, "exposure"):
        details = custody or {}
        per_week = details.get("grams_per_week") if kind == "returned" else None
        rows.append(
            {
                "subject": labels[subject_id], "intervention": product, "kind": kind, "product_unit": unit_id,
                "date": _date(started), "amount": None if amount is None else float(amount), "dose_unit": dose_unit,
                "reactions": [str(r) for r in details.get("reactions") or []] if kind == "administered" else [],
                "grams_per_week": None if per_week is None else float(per_week),
                "above_limit": bool(details.get("above_limit")) if kind == "returned" else None,
            }
        )  # fmt: skip
    return _frame(rows, EXPOSURE_SCHEMA)


DEVIATION_SCHEMA: dict[str, Any] = {
    "subject": pl.String,
    "category": pl.String,
    "major": pl.Boolean,
    "description": pl.String,
    "date": pl.Date,
}


def _deviations(scope: _Scope, labels: dict[int, str]) -> pl.DataFrame:
    query = (
        select(Deviation.id, Deviation.subject_id, Deviation.category, Deviation.major, Deviation.description,
               Deviation.occurred_local)
        .where(Deviation.subject_id.in_(scope.subjects()), Deviation.voided.is_(False))
        .order_by(Deviation.id)
    )  # fmt: skip
    rows = [
        {"subject": labels[s], "category": c, "major": bool(m), "description": d, "date": _date(o)}
        for _key, s, c, m, d, o in scope.rows(query, "deviation")
    ]
    return _frame(rows, DEVIATION_SCHEMA)


AE_SCHEMA: dict[str, Any] = {
    "ae_id": pl.Int64,
    "subject": pl.String,
    "term": pl.String,
    "verbatim": pl.String,
    "onset": pl.String,
    "resolved": pl.String,
    "grade": pl.Int64,
    "serious": pl.Boolean,
    "seriousness": pl.String,
    "outcome": pl.String,
    "sae_reports": pl.Int64,
}


def _adverse_events(scope: _Scope, labels: dict[int, str]) -> pl.DataFrame:
    reports_query = (
        select(SaeReport.id, SaeReport.adverse_event_id)
        .join(AdverseEvent, AdverseEvent.id == SaeReport.adverse_event_id)
        .where(AdverseEvent.subject_id.in_(scope.subjects()), SaeReport.voided.is_(False))
    )
    reports: dict[int, int] = {}
    for _key, event_id in scope.rows(reports_query, "sae_report"):
        reports[event_id] = reports.get(event_id, 0) + 1
    query = (
        select(
            AdverseEvent.id, AdverseEvent.subject_id, AdverseEvent.coded_term, AdverseEvent.term,
            AdverseEvent.onset_local, AdverseEvent.resolved_local, AdverseEvent.grade, AdverseEvent.serious,
            AdverseEvent.seriousness, AdverseEvent.outcome,
        )
        .where(AdverseEvent.subject_id.in_(scope.subjects()), AdverseEvent.voided.is_(False))
        .order_by(AdverseEvent.id)
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    for key, subject_id, coded, verbatim, onset, resolved, grade, serious, criteria, outcome in scope.rows(
        query, "adverse_event"
    ):
        rows.append(
            {
                "ae_id": key, "subject": labels[subject_id], "term": coded or verbatim, "verbatim": verbatim,
                "onset": onset[:10], "resolved": None if resolved is None else resolved[:10], "grade": grade,
                "serious": bool(serious), "seriousness": "; ".join(str(c) for c in criteria or []),
                "outcome": outcome, "sae_reports": reports.get(key, 0),
            }
        )  # fmt: skip
    return _frame(rows, AE_SCHEMA)


def _relatedness(scope: _Scope) -> pl.DataFrame:
    query = select(AdverseEvent.id, AdverseEvent.relatedness).where(
        AdverseEvent.subject_id.in_(scope.subjects()), AdverseEvent.voided.is_(False)
    )
    rows = [
        {"ae_id": key, "intervention": product, "causality": str(causality)}
        for key, assessed in scope.rows(query, "adverse_event")
        for product, causality in sorted((assessed or {}).items())
        if causality is not None
    ]
    return _frame(rows, {"ae_id": pl.Int64, "intervention": pl.String, "causality": pl.String})


LAB_SCHEMA: dict[str, Any] = {
    "subject": pl.String,
    "test": pl.String,
    "unit": pl.String,
    "date": pl.Date,
    "value": pl.Float64,
    "lln": pl.Float64,
    "uln": pl.Float64,
    "grade": pl.Int64,
}


def _labs(scope: _Scope, labels: dict[int, str], protocol: Protocol) -> pl.DataFrame:
    tests = {t.code: t for t in protocol.safety.lab_tests}
    ranges = {
        key: (lower, upper, unit)
        for key, lower, upper, unit in scope.session.execute(
            select(ReferenceRange.id, ReferenceRange.lower, ReferenceRange.upper, ReferenceRange.unit)
            .join(Site, Site.id == ReferenceRange.site_id)
            .where(Site.study_id == scope.study_id)
        )
    }
    query = (
        select(LabResult.id, LabResult.subject_id, LabResult.test_code, LabResult.si_value, LabResult.si_unit,
               LabResult.collected_local, LabResult.reference_range_id, LabResult.grade)
        .where(LabResult.subject_id.in_(scope.subjects()), LabResult.voided.is_(False))
        .order_by(LabResult.id)
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    for _key, subject_id, code, si_value, si_unit, collected, range_id, grade in scope.rows(query, "lab_result"):
        lln = uln = None
        test = tests.get(code)
        if range_id in ranges and test is not None and si_unit is not None:
            lower, upper, unit = ranges[range_id]
            factor = conversion(test, unit, si_unit).factor
            lln = None if lower is None else float(lower * factor)
            uln = None if upper is None else float(upper * factor)
        rows.append(
            {
                "subject": labels[subject_id], "test": code, "unit": si_unit, "date": _date(collected),
                "value": None if si_value is None else float(si_value), "lln": lln, "uln": uln, "grade": grade,
            }
        )  # fmt: skip
    return _frame(rows, LAB_SCHEMA)
