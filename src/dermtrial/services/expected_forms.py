"""The forms each visit of a set of subjects expects, and which are missing, loaded in three statements.

Shared by ``dermtrial report missing-forms`` (:mod:`dermtrial.services.missing_forms`) and the subject matrix and
dashboard (:mod:`dermtrial.services.matrix`), so both tell the same story. The decision itself is the pure
:func:`dermtrial.conduct.expected_forms.decide_visit_forms`; this module gathers its evidence, whatever the number
of subjects, in:

1. the form instances of the subjects (code, status, visit);
2. the stored values of the forms that ``applies_when`` conditions read (``DM`` for the pregnancy test), for
   :func:`dermtrial.forms.conditions.evaluate_applies` (skipped when no form has a condition);
3. one ``UNION ALL`` of the records that dedicated services keep instead of a form instance
   (:data:`OWN_RECORDS`).

How evidence is placed on a visit:

- a form instance, laboratory result or tube record with a visit counts at that visit;
- a laboratory result or tube record without a visit (the accountability service stores tubes without one) counts at
  the subject's visit that took place on the same day (collection, dispensing or return date);
- a record that belongs to the subject rather than to a day — a form instance saved without a visit (the ``EOT``
  form of :func:`dermtrial.services.dosing.end_treatment`), the consent — counts at the visit whose protocol forms
  list its code, when exactly one visit lists it (``EOT`` at week 12, ``IC`` at screening).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, String, cast, literal, null, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from dermtrial.conduct.expected_forms import ExpectedForm, FormEvidence, decide_visit_forms
from dermtrial.forms.conditions import condition_items, evaluate_applies
from dermtrial.protocol.model import Protocol
from dermtrial.store.models import Consent, Exposure, FormInstance, LabResult

OWN_RECORDS: Mapping[str, str] = {
    "LB": "laboratory result(s)",
    "OINT": "ointment tube record(s)",
    "IC": "consent record(s)",
}
"""Protocol forms that a dedicated service keeps as rows of its own instead of a form instance → what those rows
are: laboratory results (:mod:`~dermtrial.services.safety_labs`), tubes dispensed and returned
(:mod:`~dermtrial.services.accountability`), the consent taken at screening (:mod:`~dermtrial.services.subjects`).
The infusion service (``INF``) and the end-of-treatment service (``EOT``) store form instances, so they need no
entry; the eligibility evaluation is a verdict on a record entered apart and does not stand for the ``IE`` facts
form."""

VisitKey = tuple[int, int, str, str | None]
"""A visit row: (visit id, subject id, protocol visit code, visit date-time or None when it has not taken place)."""


def load_expected_forms(
    session: Session, protocol: Protocol, subjects: ColumnElement[Any], visits: Sequence[VisitKey]
) -> dict[int, list[ExpectedForm]]:
    """Per visit id, the decision on every form its protocol visit lists (visits unknown to the protocol are left
    out). ``subjects`` is a subquery of the subject ids the visits belong to (three statements in all)."""
    known = {v.id: v for v in protocol.visits}
    listed_at: dict[str, list[str]] = defaultdict(list)
    for visit in protocol.visits:
        for code in visit.forms:
            listed_at[code].append(visit.id)
    single = {code: where[0] for code, where in listed_at.items() if len(where) == 1}

    at_visit: dict[int, dict[str, str]] = defaultdict(dict)
    subject_level: dict[tuple[int, str], str] = {}
    for subject_id, visit_id, code, status in session.execute(
        select(FormInstance.subject_id, FormInstance.visit_id, FormInstance.form_code, FormInstance.status)
        .where(FormInstance.subject_id.in_(subjects), FormInstance.voided.is_(False))
        .order_by(FormInstance.id)
    ):
        if visit_id is not None:
            at_visit[visit_id][code] = status
        else:
            subject_level[(subject_id, code)] = status

    values = _condition_values(session, protocol, subjects)
    own = _own_records(session, protocol, subjects, set(listed_at), visits, single)

    out: dict[int, list[ExpectedForm]] = {}
    applies_by_subject: dict[int, dict[str, bool | None]] = {}
    for visit_id, subject_id, visit_code, _ in visits:
        if visit_code not in known:
            continue
        if subject_id not in applies_by_subject:
            applies_by_subject[subject_id] = {
                form.code: evaluate_applies(form, values.get(subject_id, {}))
                for form in protocol.forms
                if form.applies_when is not None
            }
        evidence: dict[str, FormEvidence] = {}
        for code in known[visit_code].forms:
            held = at_visit.get(visit_id, {}).get(code)
            if held is None and single.get(code) == visit_code:
                held = subject_level.get((subject_id, code))
            evidence[code] = FormEvidence(held, own.get((visit_id, code)))
        out[visit_id] = decide_visit_forms(known[visit_code].forms, evidence, applies_by_subject[subject_id])
    return out


def _condition_values(
    session: Session, protocol: Protocol, subjects: ColumnElement[Any]
) -> dict[int, dict[str, dict[str, Any]]]:
    """Subject → form code → item values of the forms that ``applies_when`` conditions read (the latest instance)."""
    read = {
        owner
        for form in protocol.forms
        if form.applies_when is not None
        for owner, _ in condition_items(form.applies_when, form.code)
    }
    out: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    if not read:
        return out
    for subject_id, code, item_values in session.execute(
        select(FormInstance.subject_id, FormInstance.form_code, FormInstance.item_values)
        .where(
            FormInstance.subject_id.in_(subjects),
            FormInstance.form_code.in_(sorted(read)),
            FormInstance.voided.is_(False),
        )
        .order_by(FormInstance.id)
    ):
        out[subject_id][code] = dict(item_values or {})
    return out


def _own_records(
    session: Session,
    protocol: Protocol,
    subjects: ColumnElement[Any],
    listed: set[str],
    visits: Sequence[VisitKey],
    single: Mapping[str, str],
) -> dict[tuple[int, str], str]:
    """(visit id, form code) → what records of their own stand for the form there."""
    parts = []
    if "LB" in listed:
        parts.append(
            select(
                LabResult.subject_id.label("subject_id"),
                LabResult.visit_id.label("visit_id"),
                LabResult.collected_local.label("day"),
                literal("LB", String).label("form"),
            ).where(LabResult.subject_id.in_(subjects), LabResult.voided.is_(False))
        )
    if "OINT" in listed:
        parts.append(
            select(Exposure.subject_id, Exposure.visit_id, Exposure.started_local, literal("OINT", String)).where(
                Exposure.subject_id.in_(subjects),
                Exposure.kind.in_(("dispensed", "returned")),
                Exposure.voided.is_(False),
            )
        )
    if "IC" in listed:
        parts.append(
            select(Consent.subject_id, cast(null(), Integer), Consent.signed_local, literal("IC", String)).where(
                Consent.subject_id.in_(subjects), Consent.voided.is_(False)
            )
        )
    if not parts:
        return {}
    rows = session.execute(union_all(*parts)).all()
    return _place(rows, protocol, visits, single)


def _place(
    rows: Iterable[Any], protocol: Protocol, visits: Sequence[VisitKey], single: Mapping[str, str]
) -> dict[tuple[int, str], str]:
    listing = {v.id: set(v.forms) for v in protocol.visits}
    by_day: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    by_code: dict[tuple[int, str], int] = {}
    for visit_id, subject_id, visit_code, visit_local in visits:
        if visit_code not in listing:
            continue
        if visit_local:
            by_day[(subject_id, visit_local[:10])].append((visit_id, visit_code))
        by_code[(subject_id, visit_code)] = visit_id
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for subject_id, visit_id, day, form in rows:
        if form == "IC":
            target = by_code.get((subject_id, single.get(form, "")))
            if target is not None:
                counts[(target, form)] += 1
        elif visit_id is not None:
            counts[(visit_id, form)] += 1
        elif day:
            for candidate, code in by_day.get((subject_id, day[:10]), []):
                if form in listing[code]:
                    counts[(candidate, form)] += 1
    return {key: f"{n} {OWN_RECORDS[key[1]]}" for key, n in counts.items()}
