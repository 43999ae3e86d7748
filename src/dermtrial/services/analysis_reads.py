"""The readers behind :func:`dermtrial.services.analysis_data.load_analysis_data`: the scope of a read (the study's
subjects at the permitted sites and, for a data cut, the records that belong to it) and one reader per table, each
returning a polars frame with a fixed schema. Voided records are never read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from dermtrial.eligibility.labs import conversion
from dermtrial.protocol.model import Protocol
from dermtrial.store.models import (
    AdverseEvent,
    AuditEvent,
    Deviation,
    Exposure,
    LabResult,
    ReferenceRange,
    SaeReport,
    Site,
    Subject,
)


class ReadScope:
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


def local_date(value: str | None) -> dt.date | None:
    return None if not value else dt.date.fromisoformat(value[:10])


def frame_of(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema)


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


def read_exposures(scope: ReadScope, labels: dict[int, str]) -> pl.DataFrame:
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
                "date": local_date(started), "amount": None if amount is None else float(amount),
                "dose_unit": dose_unit,
                "reactions": [str(r) for r in details.get("reactions") or []] if kind == "administered" else [],
                "grams_per_week": None if per_week is None else float(per_week),
                "above_limit": bool(details.get("above_limit")) if kind == "returned" else None,
            }
        )  # fmt: skip
    return frame_of(rows, EXPOSURE_SCHEMA)


DEVIATION_SCHEMA: dict[str, Any] = {
    "subject": pl.String,
    "category": pl.String,
    "major": pl.Boolean,
    "description": pl.String,
    "date": pl.Date,
}


def read_deviations(scope: ReadScope, labels: dict[int, str]) -> pl.DataFrame:
    query = (
        select(Deviation.id, Deviation.subject_id, Deviation.category, Deviation.major, Deviation.description,
               Deviation.occurred_local)
        .where(Deviation.subject_id.in_(scope.subjects()), Deviation.voided.is_(False))
        .order_by(Deviation.id)
    )  # fmt: skip
    rows = [
        {"subject": labels[s], "category": c, "major": bool(m), "description": d, "date": local_date(o)}
        for _key, s, c, m, d, o in scope.rows(query, "deviation")
    ]
    return frame_of(rows, DEVIATION_SCHEMA)


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


def read_adverse_events(scope: ReadScope, labels: dict[int, str]) -> pl.DataFrame:
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
    return frame_of(rows, AE_SCHEMA)


def read_relatedness(scope: ReadScope) -> pl.DataFrame:
    query = select(AdverseEvent.id, AdverseEvent.relatedness).where(
        AdverseEvent.subject_id.in_(scope.subjects()), AdverseEvent.voided.is_(False)
    )
    rows = [
        {"ae_id": key, "intervention": product, "causality": str(causality)}
        for key, assessed in scope.rows(query, "adverse_event")
        for product, causality in sorted((assessed or {}).items())
        if causality is not None
    ]
    return frame_of(rows, {"ae_id": pl.Int64, "intervention": pl.String, "causality": pl.String})


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


def read_labs(scope: ReadScope, labels: dict[int, str], protocol: Protocol) -> pl.DataFrame:
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
                "subject": labels[subject_id], "test": code, "unit": si_unit, "date": local_date(collected),
                "value": None if si_value is None else float(si_value), "lln": lln, "uln": uln, "grade": grade,
            }
        )  # fmt: skip
    return frame_of(rows, LAB_SCHEMA)
