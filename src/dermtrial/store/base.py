"""Declarative base, column types and mixins shared by every stored table.

Conventions (read by the data dictionary, ``docs/data-dictionary.md``):

- every column carries an attribute docstring (the string literal right after it);
- system and audit times are :class:`UTCDateTime`: timezone-aware UTC in Python, UTC on disk;
- clinical dates and times are the site's *local* value as ISO 8601 text (``2026-03-04T07:30``; a partial date such
  as ``2026-03`` where the form allows it) beside the IANA zone name, never converted to UTC, so that a 07:30
  infusion in Guangzhou stays on its day;
- editable records carry ``version`` (optimistic concurrency) and are voided with a reason, never deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Dialect, ForeignKey, Integer, MetaData, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A UTC instant: refuses naive values on the way in, returns aware UTC values on the way out.

    Stored as ``timestamp with time zone`` on PostgreSQL and as naive UTC text on SQLite.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{value!r}: a system time must be timezone-aware UTC")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utc_now() -> dt.datetime:
    """The current UTC time (adapters call this; services take ``now`` as an argument)."""
    return dt.datetime.now(dt.UTC)


LocalDateTime = String(32)
"""ISO 8601 local date or date-time text, possibly partial (``2026``, ``2026-03``, ``2026-03-04T07:30``)."""

TimeZoneName = String(64)
"""An IANA time zone name (``Asia/Shanghai``)."""


class Base(DeclarativeBase):
    """Base of every stored table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class Versioned:
    """Mixin: a version counter checked on every save (optimistic concurrency)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    """Edit counter, 1 on first entry and raised by each saved change; a save against an older version is refused."""

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Voidable:
    """Mixin: a record is never deleted; it is voided with a reason and stays visible in the audit trail."""

    voided: Mapped[bool] = mapped_column(default=False, nullable=False)
    """True when the record was voided (withdrawn as entered in error); voided records are kept, not deleted."""
    void_reason: Mapped[str | None] = mapped_column(Text)
    """Why the record was voided (required when ``voided`` is true)."""


class Created:
    """Mixin: when and by whom a row was first stored."""

    created_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """When the row was first stored (UTC)."""
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    """The user who first stored the row (null for rows written by the system)."""


def short_text(length: int = 200) -> String:
    """A bounded text column."""
    return String(length)
