"""Serious adverse event reports: the initial report and each follow-up, with the reporting clocks derived from them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dermtrial.store.base import Base, Created, LocalDateTime, TimeZoneName, Versioned, Voidable


class SaeReport(Created, Versioned, Voidable, Base):
    """One report of a serious adverse event (sequence 0 the initial report, then follow-ups), with its clocks."""

    __tablename__ = "sae_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    adverse_event_id: Mapped[int] = mapped_column(ForeignKey("adverse_event.id"), nullable=False, index=True)
    """The adverse event reported."""
    sequence: Mapped[int] = mapped_column(nullable=False)
    """0 for the initial report, 1, 2 … for follow-ups."""
    narrative: Mapped[str] = mapped_column(Text, nullable=False)
    """The case narrative (initial) or the new information (follow-up), as written by the site."""
    aware_local: Mapped[str] = mapped_column(LocalDateTime, nullable=False)
    """When the site learned of the event (initial) or of the new information (follow-up), site local."""
    aware_tz: Mapped[str] = mapped_column(TimeZoneName, nullable=False)
    """IANA zone of ``aware_local``."""
    aware_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """``aware_local`` as a UTC instant (start of the site's 24-hour clock)."""
    site_due_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """When the site's report to the sponsor is due (UTC): ``aware_at`` + the protocol's site_sae_hours."""
    assessment: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    """The case as known with this report: seriousness criteria and, per product, causality, related, expected."""
    expedited: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    """The sponsor's expedited clock over the reports so far (SUSAR products, day 0, clock days, due dates)."""
    sponsor_due_date: Mapped[dt.date | None] = mapped_column(Date)
    """Expedited report due date (null when the case is not a SUSAR)."""
    follow_up_due_date: Mapped[dt.date | None] = mapped_column(Date)
    """Follow-up due date of a fatal or life-threatening SUSAR."""
    clock_version: Mapped[str] = mapped_column(String(32), nullable=False)
    """Version of the clock rules that derived the due dates."""
