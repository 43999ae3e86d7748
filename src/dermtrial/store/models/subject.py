"""Subjects, their identifying data (a table of its own), consent and visits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dermtrial.store.base import Base, Created, LocalDateTime, TimeZoneName, Versioned, Voidable


class Subject(Created, Versioned, Voidable, Base):
    """A person screened at a site. Holds no identifying data (see ``subject_identity``)."""

    __tablename__ = "subject"
    __table_args__ = (UniqueConstraint("study_id", "screening_number"), UniqueConstraint("study_id", "subject_number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), nullable=False, index=True)
    """The study."""
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), nullable=False, index=True)
    """The site that screened the subject; access to the subject follows grants at this site."""
    screening_number: Mapped[str] = mapped_column(String(32), nullable=False)
    """Number given at screening, unique in the study."""
    subject_number: Mapped[str | None] = mapped_column(String(32))
    """Number given at enrolment (site code + sequence); null until enrolled."""
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="screening")
    """``screening``, ``screen-failed``, ``enrolled``, ``withdrawn`` or ``completed``."""
    sex: Mapped[str | None] = mapped_column(String(1))
    """``M`` or ``F`` as recorded on the demography form."""
    birth_year: Mapped[int | None] = mapped_column()
    """Year of birth (the full birth date is identifying and kept in ``subject_identity``)."""
    arm_code: Mapped[str | None] = mapped_column(String(32))
    """The protocol arm assigned at randomisation; null before."""
    enrolled_on: Mapped[str | None] = mapped_column(LocalDateTime)
    """Enrolment date, site local (ISO 8601)."""


class SubjectIdentity(Versioned, Base):
    """Identifying data of a subject, apart from study data: never exported, audited only as keyed hashes."""

    __tablename__ = "subject_identity"

    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), primary_key=True)
    """The subject."""
    family_name: Mapped[str | None] = mapped_column(Text)
    """Family name."""
    given_name: Mapped[str | None] = mapped_column(Text)
    """Given name(s)."""
    birth_date: Mapped[str | None] = mapped_column(LocalDateTime)
    """Full date of birth (ISO 8601)."""
    medical_record_number: Mapped[str | None] = mapped_column(Text)
    """The hospital's record number."""
    phone: Mapped[str | None] = mapped_column(Text)
    """Telephone number."""
    email: Mapped[str | None] = mapped_column(Text)
    """E-mail address."""
    address: Mapped[str | None] = mapped_column(Text)
    """Postal address."""
    updated_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """Last change (UTC)."""


class Consent(Created, Versioned, Voidable, Base):
    """An informed consent given (and possibly withdrawn) by a subject."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    """The subject."""
    document_version: Mapped[str] = mapped_column(String(32), nullable=False)
    """Version of the consent document signed."""
    signed_local: Mapped[str] = mapped_column(LocalDateTime, nullable=False)
    """When the subject signed, site local (ISO 8601 date or date-time)."""
    signed_tz: Mapped[str] = mapped_column(TimeZoneName, nullable=False)
    """IANA zone of ``signed_local``."""
    obtained_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    """The investigator who obtained consent."""
    withdrawn_local: Mapped[str | None] = mapped_column(LocalDateTime)
    """When consent was withdrawn, site local; null while given."""
    withdrawn_tz: Mapped[str | None] = mapped_column(TimeZoneName)
    """IANA zone of ``withdrawn_local``."""


class Visit(Created, Versioned, Voidable, Base):
    """A protocol visit of a subject (study event in CDISC ODM)."""

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("subject_id", "visit_code", "repeat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    """The subject."""
    visit_code: Mapped[str] = mapped_column(String(32), nullable=False)
    """The visit's id in the protocol schedule (``W12``) or ``UNSCHEDULED``."""
    repeat: Mapped[int] = mapped_column(nullable=False, default=1)
    """1 for a scheduled visit; 1, 2 … for repeated unscheduled visits."""
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="planned")
    """``planned``, ``done``, ``not-done`` or ``missed``."""
    visit_local: Mapped[str | None] = mapped_column(LocalDateTime)
    """Visit date (or date-time), site local, ISO 8601."""
    visit_tz: Mapped[str | None] = mapped_column(TimeZoneName)
    """IANA zone of ``visit_local``."""
    not_done_reason: Mapped[str | None] = mapped_column(Text)
    """Why the visit did not take place."""
