"""Reads for the safety and review screens: a subject's adverse events, where a record sits (scoped), the audit
history of a record or of one of its fields, and who may read the study-wide report.

Scoping is the same as everywhere: a record of a subject at a site where the actor may not read subjects is
:class:`NotFound` (as if it did not exist); a permission the actor lacks is :class:`PermissionDenied`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermtrial.instruments import INSTRUMENTS
from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor, permitted_sites, require
from dermtrial.services.errors import NotFound, PermissionDenied
from dermtrial.services.forms import study_protocol
from dermtrial.services.overview import readable_sites
from dermtrial.services.records import Located, locate
from dermtrial.services.studies import only_study
from dermtrial.services.uow import reading
from dermtrial.store.engine import Database
from dermtrial.store.models import AdverseEvent, AuditEvent, DataQuery, SaeReport, Site


@dataclass(frozen=True)
class Place:
    """Where a record sits: its table and key, subject, visit, site and study."""

    entity_type: str
    entity_id: int
    subject_id: int | None
    visit_id: int | None
    site_code: str
    site_id: int
    study_id: int


def _place(located: Located) -> Place:
    return Place(
        located.entity_type,
        located.entity_id,
        located.subject_id,
        located.visit_id,
        located.site.code,
        located.site.id,
        located.study_id,
    )


def _readable(session: Session, actor: Actor, entity_type: str, entity_id: int) -> Located:
    """The record, or NotFound when it is at a site whose subjects the actor may not read."""
    allowed = readable_sites(session, actor)
    located = locate(session, entity_type, entity_id)
    if allowed is not None and located.site.id not in allowed:
        raise NotFound(f"no {entity_type} {entity_id}", path=("entity_id",), value=entity_id)
    return located


def place_of(db: Database, actor: Actor, *, entity_type: str, entity_id: int) -> Place:
    """Where a record the actor may read sits (NotFound for another site's record)."""
    with reading(db, actor=actor) as ctx:
        return _place(_readable(ctx.session, actor, entity_type, entity_id))


def query_place(db: Database, actor: Actor, *, query_id: int) -> Place:
    """Where the record a query is about sits (NotFound for a query the actor may not read)."""
    with reading(db, actor=actor) as ctx:
        query = ctx.session.get(DataQuery, query_id)
        if query is None:
            raise NotFound(f"no query {query_id}", path=("query_id",), value=query_id)
        try:
            return _place(_readable(ctx.session, actor, query.entity_type, query.entity_id))
        except NotFound:
            raise NotFound(f"no query {query_id}", path=("query_id",), value=query_id) from None


def may(db: Database, actor: Actor, permission: str, site_id: int | None) -> bool:
    """Whether the actor holds ``permission`` at ``site_id`` (to show or hide a control; services still check)."""
    with reading(db, actor=actor) as ctx:
        try:
            require(ctx.session, actor, permission, site_id)
        except PermissionDenied:
            return False
        return True


@dataclass(frozen=True)
class SaeReportView:
    """One filed SAE report with the due times it set."""

    sequence: int
    aware_local: str
    site_due_at: dt.datetime
    filed_at: dt.datetime
    sponsor_due_date: dt.date | None
    follow_up_due_date: dt.date | None
    susar_products: tuple[str, ...]


@dataclass(frozen=True)
class AdverseEventView:
    """An adverse event as shown and sent by the API."""

    id: int
    subject_id: int
    verbatim: str
    term: str | None
    start: str
    stop: str | None
    grade: int | None
    serious: bool
    seriousness: tuple[str, ...]
    relatedness: dict[str, str]
    expectedness: dict[str, bool]
    action_taken: str | None
    outcome: str | None
    version: int
    reports: tuple[SaeReportView, ...]

    def to_json(self) -> dict[str, Any]:
        """The API representation."""
        return {
            "id": self.id,
            "subject_id": self.subject_id,
            "verbatim": self.verbatim,
            "term": self.term,
            "start": self.start,
            "stop": self.stop,
            "grade": self.grade,
            "serious": self.serious,
            "seriousness": list(self.seriousness),
            "relatedness": self.relatedness,
            "expectedness": self.expectedness,
            "action_taken": self.action_taken,
            "outcome": self.outcome,
            "version": self.version,
            "sae_reports": [
                {
                    "sequence": r.sequence,
                    "aware_local": r.aware_local,
                    "site_due_at": _utc_text(r.site_due_at),
                    "filed_at": _utc_text(r.filed_at),
                    "sponsor_due_date": r.sponsor_due_date.isoformat() if r.sponsor_due_date else None,
                    "follow_up_due_date": r.follow_up_due_date.isoformat() if r.follow_up_due_date else None,
                    "susar_products": list(r.susar_products),
                }
                for r in self.reports
            ],
        }


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _utc_text(value: dt.datetime) -> str:
    return f"{_utc(value).astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}"


def _view(event: AdverseEvent, reports: list[SaeReport]) -> AdverseEventView:
    return AdverseEventView(
        event.id,
        event.subject_id,
        event.term,
        event.coded_term,
        event.onset_local,
        event.resolved_local,
        event.grade,
        event.serious,
        tuple(event.seriousness or ()),
        {str(k): str(v) for k, v in (event.relatedness or {}).items()},
        {str(k): bool(v) for k, v in (event.expectedness or {}).items()},
        event.action_taken,
        event.outcome,
        event.version,
        tuple(
            SaeReportView(
                r.sequence,
                r.aware_local,
                _utc(r.site_due_at),
                _utc(r.created_at),
                r.sponsor_due_date,
                r.follow_up_due_date,
                tuple(r.expedited.get("products", [])),
            )
            for r in reports
        ),
    )


def _events(session: Session, subject_id: int, event_id: int | None = None) -> list[AdverseEventView]:
    query = select(AdverseEvent).where(AdverseEvent.subject_id == subject_id, AdverseEvent.voided.is_(False))
    if event_id is not None:
        query = query.where(AdverseEvent.id == event_id)
    events = list(session.scalars(query.order_by(AdverseEvent.onset_local, AdverseEvent.id)))
    reports: dict[int, list[SaeReport]] = {event.id: [] for event in events}
    if events:
        found = select(SaeReport).where(SaeReport.adverse_event_id.in_(list(reports)), SaeReport.voided.is_(False))
        for report in session.scalars(found.order_by(SaeReport.sequence)):
            reports[report.adverse_event_id].append(report)
    return [_view(event, reports[event.id]) for event in events]


def subject_adverse_events(db: Database, actor: Actor, *, subject_id: int) -> list[AdverseEventView]:
    """The subject's adverse events (not voided), by onset, with their SAE reports (NotFound for another site)."""
    with reading(db, actor=actor) as ctx:
        _readable(ctx.session, actor, "subject", subject_id)
        return _events(ctx.session, subject_id)


def adverse_event(db: Database, actor: Actor, *, subject_id: int, event_id: int) -> AdverseEventView:
    """One adverse event of the subject (NotFound for another site's or another subject's event)."""
    with reading(db, actor=actor) as ctx:
        _readable(ctx.session, actor, "subject", subject_id)
        found = _events(ctx.session, subject_id, event_id)
        if not found:
            raise NotFound(f"no adverse event {event_id} of subject {subject_id}", path=("event_id",), value=event_id)
        return found[0]


@dataclass(frozen=True)
class HistoryRow:
    """One audited change of a record: who, when (UTC), what field, old → new, and why."""

    at: dt.datetime
    event_type: str
    username: str | None
    role: str | None
    field: str | None
    old: Any
    new: Any
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        """The API representation."""
        return {
            "at": _utc_text(self.at),
            "event_type": self.event_type,
            "username": self.username,
            "role": self.role,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "reason": self.reason,
        }


def _decode(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _item_rows(event: AuditEvent, old: Any, new: Any, item: str) -> HistoryRow | None:
    """The change of one item of a form's ``item_values`` in an event, or None when the item did not change."""
    before = old.get(item) if isinstance(old, dict) else None
    after = new.get(item) if isinstance(new, dict) else None
    if isinstance(new, dict) and "item_values" in new and isinstance(new["item_values"], dict):
        after = new["item_values"].get(item)  # a whole new record (insert): its item values
    if before == after:
        return None
    return HistoryRow(
        _utc(event.occurred_at), event.event_type, event.actor_username, event.actor_role,
        f"item_values.{item}", before, after, event.reason,
    )  # fmt: skip


#: Columns of a created record not worth a row of their own in its history.
_BOOKKEEPING = frozenset({"id", "item_values", "version", "created_at", "updated_at", "voided"})


def _event_rows(event: AuditEvent, old: Any, new: Any) -> list[HistoryRow]:
    """One row per field of an event: a created record's items and columns, a change of item values item by item."""
    at, who = _utc(event.occurred_at), (event.actor_username, event.actor_role)
    if event.field is None and isinstance(new, dict) and old is None:
        values = new.get("item_values")
        items: dict[str, Any] = values if isinstance(values, dict) else {}
        columns = {k: v for k, v in new.items() if k not in _BOOKKEEPING and v is not None}
        pairs = [(f"item_values.{k}", v) for k, v in sorted(items.items())] + sorted(columns.items())
        return [HistoryRow(at, event.event_type, *who, name, None, value, event.reason) for name, value in pairs]
    if event.field == "item_values" and isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        return [
            HistoryRow(at, event.event_type, *who, f"item_values.{k}", old.get(k), new.get(k), event.reason)
            for k in keys
        ]
    return [HistoryRow(at, event.event_type, *who, event.field, old, new, event.reason)]


def record_history(
    db: Database, actor: Actor, *, entity_type: str, entity_id: int, item: str | None = None
) -> list[HistoryRow]:
    """The audit trail of one record (``audit.read`` at its site), oldest first; ``item``: one form item only."""
    with reading(db, actor=actor) as ctx:
        located = _readable(ctx.session, actor, entity_type, entity_id)
        ctx.require("audit.read", located.site.id)
        events = ctx.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.seq)
        )
        rows: list[HistoryRow] = []
        for event in events:
            old, new = _decode(event.old_value), _decode(event.new_value)
            if item is not None:
                if event.field in ("item_values", None) and (row := _item_rows(event, old, new, item)) is not None:
                    rows.append(row)
            else:
                rows.extend(_event_rows(event, old, new))
        return rows


def require_study_wide_read(db: Database, actor: Actor) -> None:
    """The study report covers every site: only who may read subjects at every site sees it (else 403)."""
    with reading(db, actor=actor) as ctx:
        if permitted_sites(ctx.session, actor, "subject.read") is None:
            return
        readable_sites(ctx.session, actor)  # no grant at all: the usual refusal naming what they hold
        raise PermissionDenied(
            f'user "{actor.username}" may read subjects only at some sites; the study report covers every site',
            path=("permission",),
            value="subject.read",
        )


def study_protocol_for(db: Database, actor: Actor) -> Protocol:
    """The protocol of the database's study, for a user who may read subjects somewhere (its forms, code lists)."""
    study_id = only_study(db)
    with reading(db, actor=actor) as ctx:
        readable_sites(ctx.session, actor)
        return study_protocol(ctx.session, study_id)


def form_items(protocol: Protocol, form_code: str) -> list[tuple[str, str]]:
    """(item code, label) of a protocol form's items, in order (instrument forms: the instrument's items)."""
    form = next((f for f in protocol.forms if f.code == form_code), None)
    if form is None:
        return []
    items = [(item.id, item.label or item.id) for group in form.item_groups for item in group.items]
    if form.instrument:
        items += [(item.code, item.label_en) for item in INSTRUMENTS[form.instrument].metadata.items]
    return items


def site_permissions(db: Database, actor: Actor, permissions: tuple[str, ...]) -> dict[str, set[str]]:
    """Site code → which of ``permissions`` the actor holds there (to offer only the controls they may use)."""
    with reading(db, actor=actor) as ctx:
        sites = ctx.session.scalars(select(Site).where(Site.study_id == only_study(db)).order_by(Site.code))
        held: dict[str, set[str]] = {}
        for site in sites:
            held[site.code] = set()
            for permission in permissions:
                try:
                    require(ctx.session, actor, permission, site.id)
                except PermissionDenied:
                    continue
                held[site.code].add(permission)
        return held
