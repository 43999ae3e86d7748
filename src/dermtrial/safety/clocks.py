"""Reporting clocks for serious adverse events, from first knowledge (day 0).

- **Site**: every SAE is reported by the site to the sponsor within ``safety.clocks.site_sae_hours`` (24) hours of the
  site learning of it: due = awareness time + 24 h.
- **Sponsor, expedited (SUSAR)**: an event that is a SUSAR for at least one product (:mod:`dermtrial.safety.susar`)
  is reported within ``susar_fatal_days`` (7) calendar days when fatal or life-threatening, with a follow-up report
  within ``susar_fatal_followup_days`` (8) further days, and within ``susar_other_days`` (15) calendar days otherwise
  (ICH E2A III.A; EU CT-3). Day 0 is the date the sponsor first has the minimum information; due = day 0 + N days.
- **Restart**: a case that did not qualify when first known starts its clock on the date new information makes it
  qualify (:func:`expedited_clock` reads the case's information in the order received). When new information turns
  a 15-day case into a fatal or life-threatening one, a 7-day clock (with its follow-up) runs from that date, and the
  due date shown is the earlier of the two.

Example: awareness 2019-08-01, serious, not fatal, related and unexpected for the cells → due 2019-08-16 (15 days);
the same event fatal → due 2019-08-08, follow-up due 2019-08-16.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dermtrial.protocol.model import ReportingClocks
from dermtrial.safety.susar import ProductAssessment, susar_products

DueStatus = Literal["overdue", "due_today", "open"]


@dataclass(frozen=True)
class ExpeditedReport:
    """Whether a case needs an expedited report, for which products, and when it is due."""

    expedited: bool
    products: tuple[str, ...] = ()
    due_date: dt.date | None = None
    clock_days: int | None = None
    follow_up_due_date: dt.date | None = None
    day_zero: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``dermtrial safety due`` output."""
        return {
            "expedited": self.expedited,
            "products": list(self.products),
            "due_date": None if self.due_date is None else self.due_date.isoformat(),
            "clock_days": self.clock_days,
            "follow_up_due_date": None if self.follow_up_due_date is None else self.follow_up_due_date.isoformat(),
        }


@dataclass(frozen=True)
class CaseInformation:
    """What was known about a case on the date it was received."""

    received: dt.date
    serious: bool
    fatal_or_life_threatening: bool
    products: tuple[ProductAssessment, ...]


def site_sae_due(awareness: dt.datetime, clocks: ReportingClocks) -> dt.datetime:
    """When the site's report of an SAE to the sponsor is due: awareness + ``site_sae_hours``."""
    return awareness + dt.timedelta(hours=clocks.site_sae_hours)


def expedited_report(
    awareness_date: dt.date,
    serious: bool,
    fatal_or_life_threatening: bool,
    products: Sequence[ProductAssessment],
    clocks: ReportingClocks,
) -> ExpeditedReport:
    """The sponsor's expedited clock for a case as known on ``awareness_date`` (day 0)."""
    susar = susar_products(serious, products)
    if not susar:
        return ExpeditedReport(expedited=False)
    if fatal_or_life_threatening:
        due = awareness_date + dt.timedelta(days=clocks.susar_fatal_days)
        follow_up = due + dt.timedelta(days=clocks.susar_fatal_followup_days)
        return ExpeditedReport(True, tuple(susar), due, clocks.susar_fatal_days, follow_up, awareness_date)
    due = awareness_date + dt.timedelta(days=clocks.susar_other_days)
    return ExpeditedReport(True, tuple(susar), due, clocks.susar_other_days, None, awareness_date)


def expedited_clock(history: Sequence[CaseInformation], clocks: ReportingClocks) -> ExpeditedReport:
    """The clock over a case's information in the order received (restarted when new information makes it qualify)."""
    current = ExpeditedReport(expedited=False)
    for info in sorted(history, key=lambda item: item.received):
        report = expedited_report(info.received, info.serious, info.fatal_or_life_threatening, info.products, clocks)
        if not report.expedited:
            continue
        products = tuple(dict.fromkeys((*current.products, *report.products)))
        if not current.expedited:
            current = report
        elif (report.clock_days or 0) < (current.clock_days or 0):
            assert report.due_date is not None
            assert current.due_date is not None
            due = min(report.due_date, current.due_date)
            current = ExpeditedReport(
                True, products, due, report.clock_days, report.follow_up_due_date, report.day_zero
            )
        else:
            current = ExpeditedReport(
                True, products, current.due_date, current.clock_days, current.follow_up_due_date, current.day_zero
            )
    return current


def due_status(due: dt.date, today: dt.date) -> DueStatus:
    """``overdue`` after the due date, ``due_today`` on it, ``open`` before."""
    if today > due:
        return "overdue"
    return "due_today" if today == due else "open"
