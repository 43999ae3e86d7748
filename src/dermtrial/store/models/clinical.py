"""Clinical records: form instances, laboratory results, exposure, adverse events, eligibility, deviations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dermtrial.store.base import Base, Created, LocalDateTime, TimeZoneName, Versioned, Voidable


class Updated:
    """Mixin: the last change to an editable record."""

    updated_at: Mapped[dt.datetime | None] = mapped_column()
    """Last saved change (UTC); null until changed after first entry."""
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    """Who saved the last change."""


class FormInstance(Created, Updated, Versioned, Voidable, Base):
    """One filled (or not done) case report form of a subject, at a visit or in a log."""

    __tablename__ = "form_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    """The subject."""
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), index=True)
    """The visit; null for log forms (adverse events, concomitant medication)."""
    form_code: Mapped[str] = mapped_column(String(32), nullable=False)
    """The form's code in the protocol (``PASI``, ``VS`` …)."""
    form_version: Mapped[str] = mapped_column(String(16), nullable=False)
    """The form version the data were entered on."""
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="not-started")
    """``not-started``, ``in-progress``, ``complete``, ``verified``, ``signed``, ``locked`` or ``not-done``."""
    not_done_reason: Mapped[str | None] = mapped_column(Text)
    """Why the form was not done."""
    item_values: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    """Item code → value as entered (numbers as text to keep their precision; partial dates as ISO 8601 text)."""
    derived: Mapped[dict[str, Any] | None] = mapped_column()
    """Result derived by the core (a PASI total, a Zung index), or a "not computable" result with its reason."""
    instrument_code: Mapped[str | None] = mapped_column(String(32))
    """The instrument that computed ``derived`` (``pasi``)."""
    instrument_version: Mapped[str | None] = mapped_column(String(64))
    """Version of the instrument's scoring rule, so a later rule change never rewrites history silently."""


class LabResult(Created, Updated, Versioned, Voidable, Base):
    """One laboratory test result of a subject, with its reference range and grade."""

    __tablename__ = "lab_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    """The subject."""
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    """The visit the sample belongs to."""
    test_code: Mapped[str] = mapped_column(String(32), nullable=False)
    """The test's code in the protocol (``ALT``)."""
    value_text: Mapped[str] = mapped_column(Text, nullable=False)
    """The value as reported (``42``, ``<0.5``, ``positive``)."""
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    """Numeric value in ``unit``; null for non-numeric results."""
    unit: Mapped[str | None] = mapped_column(String(32))
    """Unit as reported by the laboratory."""
    si_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    """Value converted to the protocol's SI unit."""
    si_unit: Mapped[str | None] = mapped_column(String(32))
    """The SI unit of ``si_value``."""
    reference_range_id: Mapped[int | None] = mapped_column(ForeignKey("reference_range.id"))
    """The reference range the result was judged against."""
    grade: Mapped[int | None] = mapped_column()
    """CTCAE grade (0–5) computed by the core; null when not computable."""
    grading_version: Mapped[str | None] = mapped_column(String(32))
    """Version of the grading table that gave ``grade`` (``CTCAE v5.0``)."""
    collected_local: Mapped[str | None] = mapped_column(LocalDateTime)
    """Sample collection date-time, site local."""
    collected_tz: Mapped[str | None] = mapped_column(TimeZoneName)
    """IANA zone of ``collected_local``."""


class Exposure(Created, Updated, Versioned, Voidable, Base):
    """Study treatment given or handed out: an infusion, or ointment tubes dispensed and returned."""

    __tablename__ = "exposure"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    """The subject."""
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    """The visit."""
    intervention_code: Mapped[str] = mapped_column(String(32), nullable=False)
    """The intervention's id in the protocol."""
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    """``administered`` (an infusion), ``dispensed`` or ``returned`` (tubes)."""
    product_unit: Mapped[str | None] = mapped_column(String(64))
    """Kit, vial or tube number (chain of custody)."""
    lot_number: Mapped[str | None] = mapped_column(String(64))
    """Manufacturing lot."""
    dose_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    """Amount given or dispensed, in ``dose_unit``."""
    dose_unit: Mapped[str | None] = mapped_column(String(32))
    """Unit of ``dose_amount`` (``mg``, ``g``, ``tube``)."""
    started_local: Mapped[str | None] = mapped_column(LocalDateTime)
    """Start of infusion or time of dispensing/return, site local."""
    ended_local: Mapped[str | None] = mapped_column(LocalDateTime)
    """End of infusion, site local."""
    local_tz: Mapped[str | None] = mapped_column(TimeZoneName)
    """IANA zone of the local times."""
    custody: Mapped[dict[str, Any] | None] = mapped_column()
    """Chain-of-custody details (received, stored, prepared by), as entered."""


class AdverseEvent(Created, Updated, Versioned, Voidable, Base):
    """An adverse event of a subject, graded, with relatedness per study product."""

    __tablename__ = "adverse_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    """The subject."""
    term: Mapped[str] = mapped_column(Text, nullable=False)
    """The event as reported."""
    coded_term: Mapped[str | None] = mapped_column(Text)
    """Dictionary term (e.g. CTCAE term)."""
    onset_local: Mapped[str] = mapped_column(LocalDateTime, nullable=False)
    """Onset date (partial allowed) or date-time, site local."""
    resolved_local: Mapped[str | None] = mapped_column(LocalDateTime)
    """Resolution date, site local; null while ongoing."""
    local_tz: Mapped[str] = mapped_column(TimeZoneName, nullable=False)
    """IANA zone of the local dates."""
    grade: Mapped[int | None] = mapped_column()
    """CTCAE grade 1–5."""
    serious: Mapped[bool] = mapped_column(nullable=False, default=False)
    """True for a serious adverse event."""
    seriousness: Mapped[list[Any] | None] = mapped_column()
    """Seriousness criteria met (``death``, ``hospitalisation`` …)."""
    relatedness: Mapped[dict[str, Any] | None] = mapped_column()
    """Intervention id → causality as assessed by the investigator."""
    expectedness: Mapped[dict[str, Any] | None] = mapped_column()
    """Intervention id → true when the coded term is in that product's reference safety information (computed)."""
    outcome: Mapped[str | None] = mapped_column(String(32))
    """Outcome (``recovered``, ``recovering``, ``not-recovered``, ``fatal`` …)."""
    action_taken: Mapped[str | None] = mapped_column(Text)
    """Action taken with study treatment."""


class EligibilityEvaluation(Created, Versioned, Voidable, Base):
    """An evaluation of a subject against the protocol's criteria, with the verdict per criterion."""

    __tablename__ = "eligibility_evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    """The subject."""
    protocol_version: Mapped[str] = mapped_column(String(32), nullable=False)
    """Protocol version whose criteria were applied."""
    protocol_content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    """Content hash of that protocol."""
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)
    """``eligible``, ``ineligible`` or ``undetermined``."""
    criteria: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    """Criterion id → verdict, the values used and the reason."""
    evaluated_local: Mapped[str] = mapped_column(LocalDateTime, nullable=False)
    """Date the evaluation applies to, site local."""
    evaluated_tz: Mapped[str] = mapped_column(TimeZoneName, nullable=False)
    """IANA zone of ``evaluated_local``."""


class Deviation(Created, Updated, Versioned, Voidable, Base):
    """A protocol deviation, of a subject or of a whole site."""

    __tablename__ = "deviation"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), nullable=False, index=True)
    """The site."""
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"), index=True)
    """The subject; null for a site-level deviation."""
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    """``visit-window``, ``dosing``, ``eligibility``, ``consent``, ``procedure`` …"""
    description: Mapped[str] = mapped_column(Text, nullable=False)
    """What happened."""
    major: Mapped[bool] = mapped_column(nullable=False, default=False)
    """True for an important (major) deviation."""
    occurred_local: Mapped[str | None] = mapped_column(LocalDateTime)
    """When it happened, site local."""
    occurred_tz: Mapped[str | None] = mapped_column(TimeZoneName)
    """IANA zone of ``occurred_local``."""
    detected_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """When it was detected or recorded (UTC)."""
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="manual")
    """``manual`` or ``rule`` (found by a protocol rule)."""
