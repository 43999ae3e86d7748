"""Serious adverse events: the site's report (initial, then follow-ups) with its narrative, and the clocks it starts.

A report is filed for an event already recorded as serious. It states when the site learned of the event (initial)
or of the new information (follow-up), site local; the site's report to the sponsor is due 24 hours later
(``safety.clocks.site_sae_hours``). Each report stores a snapshot of the case as then known (seriousness criteria
and, per product, causality, related, expected) and the sponsor's expedited clock derived over all reports so far
(:func:`dermtrial.safety.clocks.expedited_clock`: SUSAR per product, 7 days with a follow-up 8 days later when fatal
or life-threatening, 15 otherwise, from first knowledge, restarted when new information makes the case qualify). An
event whose causality is not yet assessed counts as not related until it is; the follow-up that brings the assessment
starts the clock. The due dates are stored with the clock version and shown with their status (:func:`sae_clocks`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dermtrial.protocol.model import Protocol
from dermtrial.safety.clocks import CaseInformation, DueStatus, due_status, expedited_clock, site_sae_due
from dermtrial.safety.relatedness import is_related
from dermtrial.safety.seriousness import is_fatal_or_life_threatening
from dermtrial.safety.susar import ProductAssessment
from dermtrial.services.access import Actor, find_site
from dermtrial.services.errors import invalid
from dermtrial.services.forms import study_protocol
from dermtrial.services.local_time import check_local, local_date
from dermtrial.services.records import locate
from dermtrial.services.uow import reading, unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import AdverseEvent, SaeReport, Subject

CLOCK_VERSION = "dermtrial-clocks-1"
"""Version of the clock rules stored with every report."""


def _assessment(event: AdverseEvent, protocol: Protocol) -> dict[str, Any]:
    causality = event.relatedness or {}
    expected = event.expectedness or {}
    return {
        "seriousness": list(event.seriousness or []),
        "fatal_or_life_threatening": is_fatal_or_life_threatening(event.seriousness or []),
        "products": [
            {
                "product": p.id,
                "causality": causality.get(p.id),
                "related": is_related(str(causality.get(p.id))),
                "expected": bool(expected.get(p.id, False)),
            }
            for p in protocol.interventions
        ],
    }


def _information(report: SaeReport) -> CaseInformation:
    products = tuple(
        ProductAssessment(p["product"], bool(p["related"]), bool(p["expected"])) for p in report.assessment["products"]
    )
    return CaseInformation(
        dt.date.fromisoformat(report.aware_local[:10]),
        True,
        bool(report.assessment["fatal_or_life_threatening"]),
        products,
    )


def report_sae(db: Database, actor: Actor, *, event_id: int, narrative: str, aware_local: str, now: dt.datetime) -> int:
    """File the initial report or the next follow-up of a serious event (``ae.write``); returns the report id."""
    check_local(aware_local, field="aware_local")
    if not narrative.strip():
        raise invalid("narrative", narrative, "is required: the case narrative or the new information")
    with unit_of_work(db, actor=actor, now=now, reason="serious adverse event report") as work:
        located = locate(work.session, "adverse_event", event_id)
        work.require("ae.write", located.site.id)
        event: AdverseEvent = located.record
        if event.voided or not event.serious:
            raise invalid("event_id", event_id, "not a serious adverse event: record its seriousness criteria first")
        protocol = study_protocol(work.session, located.study_id)
        zone = located.site.timezone
        aware_at = dt.datetime.fromisoformat(aware_local).replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
        if aware_at > now:
            raise invalid("aware_local", aware_local, "is in the future")
        previous = list(
            work.session.scalars(
                select(SaeReport)
                .where(SaeReport.adverse_event_id == event_id, SaeReport.voided.is_(False))
                .order_by(SaeReport.sequence)
            )
        )
        report = SaeReport(
            adverse_event_id=event_id,
            sequence=len(previous),
            narrative=narrative,
            aware_local=aware_local,
            aware_tz=zone,
            aware_at=aware_at,
            site_due_at=site_sae_due(aware_at, protocol.safety.clocks),
            assessment=_assessment(event, protocol),
            expedited={},
            clock_version=CLOCK_VERSION,
        )
        clock = expedited_clock([*map(_information, previous), _information(report)], protocol.safety.clocks)
        report.expedited = {
            **clock.to_json(),
            "day_zero": None if clock.day_zero is None else clock.day_zero.isoformat(),
        }
        report.sponsor_due_date = clock.due_date
        report.follow_up_due_date = clock.follow_up_due_date
        work.add(report, **located.audit_place())
        return report.id


def _utc(value: dt.datetime) -> dt.datetime:
    """A stored instant as aware UTC (SQLite returns it naive)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class SaeClock:
    """The clocks of one serious event as of its latest report, with their status at the site's today."""

    event_id: int
    subject_id: int
    term: str
    reports: int
    site_due_at: dt.datetime
    site_reported_on_time: bool
    """Whether the initial report was filed within the site's clock (filed at or before ``site_due_at``)."""
    sponsor_due_date: dt.date | None
    follow_up_due_date: dt.date | None
    susar_products: tuple[str, ...]
    sponsor_status: DueStatus | None


def sae_clocks(db: Database, actor: Actor, *, study_id: int, site_code: str, now: dt.datetime) -> list[SaeClock]:
    """Every reported serious event of a site with its due dates (``subject.read`` there), oldest first."""
    with reading(db, actor=actor) as ctx:
        site = find_site(ctx.session, study_id, site_code)
        ctx.require("subject.read", site.id)
        today = local_date(now, site.timezone)
        rows = ctx.session.execute(
            select(SaeReport, AdverseEvent)
            .join(AdverseEvent, AdverseEvent.id == SaeReport.adverse_event_id)
            .join(Subject, Subject.id == AdverseEvent.subject_id)
            .where(Subject.site_id == site.id, SaeReport.voided.is_(False), AdverseEvent.voided.is_(False))
            .order_by(AdverseEvent.id, SaeReport.sequence)
        ).all()
        latest: dict[int, tuple[SaeReport, AdverseEvent, int]] = {}
        for report, event in rows:
            first = latest.get(event.id)
            latest[event.id] = (report, event, (first[2] if first else 0) + 1)
        out: list[SaeClock] = []
        for report, event, count in latest.values():
            initial = next(r for r, e in rows if e.id == event.id)
            due = report.sponsor_due_date
            out.append(
                SaeClock(
                    event_id=event.id,
                    subject_id=event.subject_id,
                    term=event.coded_term or event.term,
                    reports=count,
                    site_due_at=initial.site_due_at,
                    site_reported_on_time=_utc(initial.created_at) <= _utc(initial.site_due_at),
                    sponsor_due_date=due,
                    follow_up_due_date=report.follow_up_due_date,
                    susar_products=tuple(report.expedited.get("products", [])),
                    sponsor_status=None if due is None else due_status(due, today),
                )
            )
        return out
