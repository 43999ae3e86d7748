"""Study, site, the per-study audit key and laboratory reference ranges."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dermtrial.store.base import Base, Created, TimeZoneName, Versioned, Voidable


class Study(Created, Base):
    """A trial run by this database, bound to the protocol version it follows."""

    __tablename__ = "study"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    protocol_id: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    """Registry id of the protocol (``NCT03392311``); one study per protocol in a database."""
    protocol_version: Mapped[str] = mapped_column(String(32), nullable=False)
    """The protocol's own version the study currently follows (``1.0``)."""
    protocol_content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    """SHA-256 of the protocol's canonical encoding (as ``dermtrial protocol validate`` prints it)."""
    protocol_snapshot: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    """The whole validated protocol as loaded (canonical JSON), so the study never depends on a file that may change."""
    title: Mapped[str] = mapped_column(Text, nullable=False)
    """Brief title of the trial, from the protocol."""
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="setup")
    """``setup``, ``active`` or ``locked``."""


class StudyKey(Base):
    """The secret key with which identifying data is audited as a keyed hash (HMAC-SHA256).

    Kept outside the audit chain and never exported: without it the hashes in the trail reveal nothing, and a name
    entered by mistake can be erased from its table while the chain still verifies.
    """

    __tablename__ = "study_key"

    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), primary_key=True)
    """The study the key belongs to."""
    hmac_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    """32 random bytes; the HMAC-SHA256 key for identifying values in the audit trail."""
    created_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """When the key was made (UTC)."""


class Site(Created, Versioned, Base):
    """A site (investigational centre) of a study."""

    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("study_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), nullable=False, index=True)
    """The study the site takes part in."""
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    """Short site code used in subject numbers (``GZ01``); unique within the study."""
    name: Mapped[str] = mapped_column(Text, nullable=False)
    """The institution."""
    city: Mapped[str | None] = mapped_column(Text)
    """City."""
    country: Mapped[str | None] = mapped_column(Text)
    """Country."""
    timezone: Mapped[str] = mapped_column(TimeZoneName, nullable=False)
    """IANA time zone of the site's clinical dates and times (``Asia/Shanghai``)."""
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    """False once the site is closed; its data stay."""


class ReferenceRange(Created, Versioned, Voidable, Base):
    """A normal range of one laboratory test at a site laboratory, by sex and age band, with effective dates."""

    __tablename__ = "reference_range"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), nullable=False, index=True)
    """The site whose laboratory reports against this range."""
    laboratory: Mapped[str] = mapped_column(Text, nullable=False)
    """Name of the laboratory."""
    test_code: Mapped[str] = mapped_column(String(32), nullable=False)
    """The test's code in the protocol (``ALT``, ``PLT`` …)."""
    sex: Mapped[str | None] = mapped_column(String(1))
    """``M`` or ``F``; null when the range applies to both."""
    age_min_years: Mapped[int | None] = mapped_column()
    """Lowest age (years, inclusive) the range applies to; null for no lower bound."""
    age_max_years: Mapped[int | None] = mapped_column()
    """Highest age (years, inclusive) the range applies to; null for no upper bound."""
    lower: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    """Lower limit of normal, in ``unit``."""
    upper: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    """Upper limit of normal, in ``unit``."""
    unit: Mapped[str] = mapped_column(String(32), nullable=False)
    """Unit of the limits as the laboratory reports them."""
    effective_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    """First day (laboratory local date) the range applies."""
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    """Last day the range applies; null while current."""
