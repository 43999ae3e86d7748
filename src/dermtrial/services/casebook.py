"""The subject casebook (``dermtrial casebook SUBJECT``): every form of one subject with its audit history and
signatures, for the investigator's site file at close-out.

Reading it needs ``subject.read`` at the subject's site, the permission that already shows the subject's forms and
their signatures (:func:`~dermtrial.services.signatures.signatures_of`); the audit history shown is the history of
those same records. A user who may not read the subject's site gets the same :class:`NotFound` as for a subject
that does not exist, so the casebook does not reveal which numbers exist elsewhere.

Identifying data never enters a casebook: the subject is named by its screening and subject numbers only, the
``subject_identity`` record and its audit events are left out, and so is any audited value kept as a keyed hash.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor, permitted_sites
from dermtrial.services.errors import NotFound
from dermtrial.services.forms import study_protocol
from dermtrial.services.signatures import SignatureView, record_sha256
from dermtrial.services.uow import reading
from dermtrial.store.engine import Database
from dermtrial.store.models import AuditEvent, FormInstance, Signature, Site, Study, Subject, User, Visit

IDENTITY_TABLE = "subject_identity"
KEYED_HASH_PREFIX = "hmac-sha256:"
_HIDDEN_CREATE_KEYS = frozenset({"id", "subject_id", "voided"})


@dataclass(frozen=True)
class ItemValue:
    """One item of a form as stored: its code, its label on the form (the code when the form has none), the value."""

    code: str
    label: str
    value: str


@dataclass(frozen=True)
class AuditEntry:
    """One audited change as the casebook prints it: who, when (UTC), what, old → new, why."""

    seq: int
    occurred_at: dt.datetime
    username: str
    role: str | None
    event_type: str
    entity: str
    field: str | None
    old: str | None
    new: str | None
    reason: str | None


@dataclass(frozen=True)
class CasebookForm:
    """One form instance of the subject with its values, derived results, signatures and audit history."""

    form_id: int
    visit: str
    visit_date: str | None
    form_code: str
    form_title: str
    form_version: str
    status: str
    version: int
    not_done_reason: str | None
    voided: bool
    void_reason: str | None
    items: tuple[ItemValue, ...]
    derived: tuple[ItemValue, ...]
    instrument: str | None
    signatures: tuple[SignatureView, ...]
    history: tuple[AuditEntry, ...]


@dataclass(frozen=True)
class Casebook:
    """Everything printed in one subject's casebook."""

    protocol_id: str
    protocol_version: str
    study_title: str
    site_code: str
    site_name: str
    screening_number: str
    subject_number: str | None
    status: str
    forms: tuple[CasebookForm, ...]
    other_history: tuple[AuditEntry, ...]
    """Audited changes of the subject outside its forms (the subject record, visits, signatures, labs …)."""
    audit_seq: int
    """The last audit event shown (0 when none): the casebook reflects the trail up to this position."""


def casebook(db: Database, actor: Actor, subject_number: str) -> Casebook:
    """The casebook of the subject with this subject or screening number, at a site the actor may read."""
    with reading(db, actor=actor) as ctx:
        session = ctx.session
        subject = _find_subject(session, actor, subject_number)
        ctx.require("subject.read", subject.site_id)
        study = session.get_one(Study, subject.study_id)
        site = session.get_one(Site, subject.site_id)
        protocol = study_protocol(session, subject.study_id)
        visits = {v.id: v for v in session.scalars(select(Visit).where(Visit.subject_id == subject.id))}
        forms = list(session.scalars(select(FormInstance).where(FormInstance.subject_id == subject.id)))
        forms.sort(key=lambda f: _form_order(protocol, visits, f))
        history = _history(session, subject)
        form_ids = {str(f.id) for f in forms}
        by_form: dict[str, list[AuditEntry]] = {key: [] for key in form_ids}
        other: list[AuditEntry] = []
        for key, entry in history:
            (by_form[key] if key in form_ids else other).append(entry)
        signatures = _signatures(session, forms)
        shown = [
            _form(protocol, visits, form, signatures.get(form.id, ()), tuple(by_form[str(form.id)])) for form in forms
        ]
        last = max((entry.seq for _, entry in history), default=0)
        return Casebook(
            protocol_id=study.protocol_id,
            protocol_version=study.protocol_version,
            study_title=study.title,
            site_code=site.code,
            site_name=site.name,
            screening_number=subject.screening_number,
            subject_number=subject.subject_number,
            status=subject.status,
            forms=tuple(shown),
            other_history=tuple(other),
            audit_seq=last,
        )


def _find_subject(session: Session, actor: Actor, number: str) -> Subject:
    allowed = permitted_sites(session, actor, "subject.read")
    candidates = session.scalars(
        select(Subject)
        .where(or_(Subject.subject_number == number, Subject.screening_number == number), Subject.voided.is_(False))
        .order_by(Subject.id)
    ).all()
    visible = [s for s in candidates if allowed is None or s.site_id in allowed]
    if not visible:
        # the same answer whether the number does not exist or belongs to a site the actor may not read
        raise NotFound(f'no subject "{number}"', path=("subject",), value=number)
    exact = [s for s in visible if s.subject_number == number] or visible
    return exact[0]


def _form_order(protocol: Protocol, visits: Mapping[int, Visit], form: FormInstance) -> tuple[Any, ...]:
    visit_rank = {v.id: index for index, v in enumerate(protocol.visits)}
    form_rank = {f.code: index for index, f in enumerate(protocol.forms)}
    visit = visits.get(form.visit_id) if form.visit_id is not None else None
    if visit is None:
        return (1, 0, "", 0, form_rank.get(form.form_code, len(form_rank)), form.form_code, form.id)
    return (
        0,
        visit_rank.get(visit.visit_code, len(visit_rank)),
        visit.visit_code,
        visit.repeat,
        form_rank.get(form.form_code, len(form_rank)),
        form.form_code,
        form.id,
    )


def _text(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _items(protocol: Protocol, form: FormInstance) -> tuple[ItemValue, ...]:
    labels: dict[str, str] = {}
    order: list[str] = []
    for definition in protocol.forms:
        if definition.code == form.form_code:
            for group in definition.item_groups:
                for item in group.items:
                    labels[item.id] = item.label
                    order.append(item.id)
    values = form.item_values or {}
    ranked = [code for code in order if code in values] + sorted(code for code in values if code not in labels)
    return tuple(ItemValue(code, labels.get(code, code), _text(values[code])) for code in ranked)


def _flatten(prefix: str, value: Any) -> Iterable[tuple[str, str]]:
    if isinstance(value, Mapping) and value:
        for key in sorted(value):
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), value[key])
    else:
        yield prefix, _text(value)


def _form(
    protocol: Protocol,
    visits: Mapping[int, Visit],
    form: FormInstance,
    signatures: tuple[SignatureView, ...],
    history: tuple[AuditEntry, ...],
) -> CasebookForm:
    visit = visits.get(form.visit_id) if form.visit_id is not None else None
    title = next((f.title for f in protocol.forms if f.code == form.form_code), form.form_code)
    if visit is None:
        visit_name = "log (not tied to a visit)"
    else:
        label = next((v.label for v in protocol.visits if v.id == visit.visit_code), visit.visit_code)
        visit_name = label if visit.repeat == 1 else f"{label} (repeat {visit.repeat})"
    derived = tuple(ItemValue(code, code, text) for code, text in _flatten("", form.derived or {}) if code)
    instrument = None
    if form.instrument_code:
        instrument = f"{form.instrument_code} {form.instrument_version or ''}".strip()
    return CasebookForm(
        form_id=form.id,
        visit=visit_name,
        visit_date=None if visit is None else visit.visit_local,
        form_code=form.form_code,
        form_title=title,
        form_version=form.form_version,
        status=form.status,
        version=form.version,
        not_done_reason=form.not_done_reason,
        voided=form.voided,
        void_reason=form.void_reason,
        items=_items(protocol, form),
        derived=derived,
        instrument=instrument,
        signatures=signatures,
        history=history,
    )


def _signatures(session: Session, forms: list[FormInstance]) -> dict[int, tuple[SignatureView, ...]]:
    if not forms:
        return {}
    records = {f.id: f for f in forms}
    digests = {f.id: record_sha256(f) for f in forms}
    rows = session.execute(
        select(Signature, User.username)
        .join(User, User.id == Signature.user_id)
        .where(Signature.entity_type == "form_instance", Signature.entity_id.in_(list(records)))
        .order_by(Signature.id)
    ).all()
    out: dict[int, list[SignatureView]] = {}
    for signature, username in rows:
        out.setdefault(signature.entity_id, []).append(
            SignatureView(
                signature.id,
                signature.signer_name,
                username,
                signature.meaning,
                signature.signed_at,
                signature.entity_version,
                signature.invalidated_at is None and signature.record_sha256 == digests[signature.entity_id],
                signature.invalidated_at,
                signature.invalidated_reason,
            )
        )
    return {key: tuple(value) for key, value in out.items()}


def _decoded(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def _history(session: Session, subject: Subject) -> list[tuple[str, AuditEntry]]:
    """The subject's audit events in chain order, each with the form id it belongs to ("" when none)."""
    events = session.scalars(
        select(AuditEvent)
        .where(
            or_(
                AuditEvent.subject_id == subject.id,
                and_(AuditEvent.entity_type == "subject", AuditEvent.entity_id == str(subject.id)),
            )
        )
        .order_by(AuditEvent.seq)
    ).all()
    out: list[tuple[str, AuditEntry]] = []
    for event in events:
        if event.entity_type == IDENTITY_TABLE or any(
            isinstance(v, str) and v.startswith(KEYED_HASH_PREFIX) for v in (event.old_value, event.new_value)
        ):
            continue
        key = (event.entity_id or "") if event.entity_type == "form_instance" else ""
        for field, old, new in _changes(event):
            out.append(
                (
                    key,
                    AuditEntry(
                        seq=event.seq,
                        occurred_at=event.occurred_at,
                        username=event.actor_username or "system",
                        role=event.actor_role,
                        event_type=event.event_type,
                        entity=f"{event.entity_type or 'event'} {event.entity_id or ''}".strip(),
                        field=field,
                        old=old,
                        new=new,
                        reason=event.reason,
                    ),
                )
            )
    return out


def _changes(event: AuditEvent) -> list[tuple[str | None, str | None, str | None]]:
    """An event as field-level changes: a changed mapping (``item_values``) gives one row per changed key; a
    created record gives its stored content, every field named."""
    old, new = _decoded(event.old_value), _decoded(event.new_value)
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        rows: list[tuple[str | None, str | None, str | None]] = []
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                name = f"{event.field}.{key}" if event.field else str(key)
                before = _text(old[key]) if key in old else None
                after = _text(new[key]) if key in new else None
                rows.append((name, before, after))
        return rows or [(event.field, _text(old), _text(new))]
    if event.field is None and isinstance(new, Mapping) and old is None:
        content = {k: v for k, v in new.items() if k not in _HIDDEN_CREATE_KEYS}
        text = "; ".join(f"{name} = {value}" for name, value in _flatten("", content))
        return [(None, None, text)]
    return [(event.field, None if old is None else _text(old), None if new is None else _text(new))]
