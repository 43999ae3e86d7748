"""Data review and control: queries, source data verification, signatures, locks and data cuts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dermtrial.store.base import Base, Created, Versioned


class DataQuery(Created, Versioned, Base):
    """A data clarification query on one field (or a whole record): open → answered → closed, possibly re-opened."""

    __tablename__ = "data_query"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    """The subject whose data are queried (for site scope)."""
    entity_type: Mapped[str] = mapped_column(String(32), nullable=False)
    """Table of the queried record (``form_instance``, ``lab_result`` …)."""
    entity_id: Mapped[int] = mapped_column(nullable=False)
    """Key of the queried record."""
    field: Mapped[str | None] = mapped_column(String(64))
    """The queried field or item code; null for the whole record."""
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    """``open``, ``answered`` or ``closed``."""
    origin: Mapped[str] = mapped_column(String(16), nullable=False)
    """``manual`` or ``edit-check``."""
    edit_check_id: Mapped[str | None] = mapped_column(String(64))
    """The protocol edit check that raised it."""
    text: Mapped[str] = mapped_column(Text, nullable=False)
    """The question."""
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    """When it was last closed (UTC); the age of an open query is counted from ``created_at``."""


class QueryMessage(Created, Base):
    """One step of a query's conversation: raised, answered, closed or re-opened, with its text."""

    __tablename__ = "query_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    query_id: Mapped[int] = mapped_column(ForeignKey("data_query.id"), nullable=False, index=True)
    """The query."""
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    """``raise``, ``answer``, ``close`` or ``reopen``."""
    text: Mapped[str] = mapped_column(Text, nullable=False)
    """The message."""


class SdvStatus(Created, Versioned, Base):
    """Source data verification status of a form, or of one field of it, set by a monitor."""

    __tablename__ = "sdv_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    form_instance_id: Mapped[int] = mapped_column(ForeignKey("form_instance.id"), nullable=False, index=True)
    """The form."""
    field: Mapped[str | None] = mapped_column(String(64))
    """The item code; null for the whole form."""
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="not-verified")
    """``not-verified``, ``verified`` or ``changed-since`` (data changed after verification)."""
    verified_at: Mapped[dt.datetime | None] = mapped_column()
    """When verified (UTC)."""
    verified_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    """The monitor who verified."""


class Signature(Base):
    """An electronic signature on one record, linked to the exact data it signs."""

    __tablename__ = "signature"
    __table_args__ = (Index("ix_signature_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    entity_type: Mapped[str] = mapped_column(String(32), nullable=False)
    """Table of the signed record (``form_instance``, ``eligibility_evaluation`` …)."""
    entity_id: Mapped[int] = mapped_column(nullable=False)
    """Key of the signed record."""
    entity_version: Mapped[int] = mapped_column(nullable=False)
    """Version of the record when signed."""
    record_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    """SHA-256 of the canonical encoding of the signed data."""
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False)
    """The signer (who re-entered their password)."""
    signer_name: Mapped[str] = mapped_column(Text, nullable=False)
    """The signer's full name at the time of signing, shown with the record."""
    meaning: Mapped[str] = mapped_column(String(32), nullable=False)
    """What the signature means (``reviewed``, ``approved``, ``authored``)."""
    signed_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """When signed (UTC)."""
    invalidated_at: Mapped[dt.datetime | None] = mapped_column()
    """When the signed data changed, invalidating the signature (UTC)."""
    invalidated_reason: Mapped[str | None] = mapped_column(Text)
    """The change that invalidated it."""


class RecordLock(Base):
    """A lock on a form, visit, subject or the whole study; unlocking is recorded on the same row."""

    __tablename__ = "record_lock"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), nullable=False, index=True)
    """The study."""
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    """``form``, ``visit``, ``subject`` or ``study``."""
    entity_id: Mapped[int | None] = mapped_column()
    """Key of the locked form instance, visit or subject; null for the study."""
    locked_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """When locked (UTC)."""
    locked_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False)
    """Who locked."""
    second_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    """The second person confirming a study lock."""
    reason: Mapped[str | None] = mapped_column(Text)
    """Why (required for a study lock)."""
    unlocked_at: Mapped[dt.datetime | None] = mapped_column()
    """When unlocked (UTC); null while locked."""
    unlocked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    """Who unlocked."""
    unlock_second_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    """The second person confirming a study unlock."""
    unlock_reason: Mapped[str | None] = mapped_column(Text)
    """Why it was unlocked."""


class DataCut(Created, Base):
    """A frozen snapshot of the study data at a point in time, identified by its hash."""

    __tablename__ = "data_cut"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), nullable=False, index=True)
    """The study."""
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    """Name of the cut (``primary-endpoint``)."""
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    """Why the cut was made."""
    audit_seq: Mapped[int] = mapped_column(nullable=False)
    """Sequence number of the last audit event included."""
    snapshot_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    """SHA-256 of the snapshot's canonical encoding."""
    location: Mapped[str | None] = mapped_column(Text)
    """Where the snapshot files are kept."""
