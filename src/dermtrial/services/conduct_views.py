"""Read use cases behind the conduct screens (screening checklist, visit page, form page), and the one write they
need besides the existing use cases: creating the subject's planned visits.

Scoping is :mod:`dermtrial.services.overview`'s: a subject of a site the actor may not read is :class:`NotFound`.
Nothing clinical is decided here: the checklist is the stored evaluation (criteria, results and evidence as the
eligibility engine returned them), the visit's forms are the protocol's ``visits[].forms``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dermtrial.eligibility.template import template_record
from dermtrial.forms.model import Form
from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor
from dermtrial.services.errors import NotFound
from dermtrial.services.forms import find_form, study_protocol
from dermtrial.services.overview import FormRow, SubjectRow, _form_rows, _subject
from dermtrial.services.signatures import SignatureView, signatures_of
from dermtrial.services.subjects import load_subject
from dermtrial.services.uow import reading, unit_of_work
from dermtrial.services.visits import schedule_visits
from dermtrial.store.engine import Database
from dermtrial.store.models import EligibilityEvaluation, Subject, Visit


def schedule_subject_visits(db: Database, actor: Actor, *, subject_id: int, now: dt.datetime) -> list[int]:
    """Create the planned visit rows the protocol lists and the subject lacks (``form.write``); returns new ids."""
    with unit_of_work(db, actor=actor, now=now) as work:
        return schedule_visits(work, load_subject(work, subject_id, "form.write"))


@dataclass(frozen=True)
class CriterionView:
    """One criterion of a stored evaluation: its text and the engine's result, reason and evidence."""

    id: str
    type: str
    kind: str
    text: str
    result: str
    reason: str
    evidence: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The API representation."""
        return {
            "id": self.id,
            "type": self.type,
            "kind": self.kind,
            "text": self.text,
            "result": self.result,
            "reason": self.reason,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class EvaluationView:
    """The subject's latest stored eligibility evaluation, its criteria and its signatures."""

    evaluation_id: int
    verdict: str
    evaluated_local: str
    protocol_version: str
    criteria: list[CriterionView]
    signatures: list[SignatureView]

    @property
    def signed(self) -> bool:
        """Whether a valid signature covers the evaluation as stored."""
        return any(s.valid for s in self.signatures)

    def to_json(self) -> dict[str, Any]:
        """The API representation."""
        return {
            "id": self.evaluation_id,
            "verdict": self.verdict,
            "evaluated_local": self.evaluated_local,
            "protocol_version": self.protocol_version,
            "signed": self.signed,
            "signatures": [s.manifestation for s in self.signatures if s.valid],
            "criteria": [c.to_json() for c in self.criteria],
        }


@dataclass(frozen=True)
class Screening:
    """A subject on the screening screen: the subject and its latest evaluation (None before the first)."""

    subject: SubjectRow
    evaluation: EvaluationView | None
    template: dict[str, Any]
    """The protocol's screening record template (``dermtrial eligibility template``), to fill in."""


def _criterion_texts(protocol: Protocol) -> dict[str, str]:
    return {c.id: c.text for c in [*protocol.eligibility.inclusion, *protocol.eligibility.exclusion]}


def screening(db: Database, actor: Actor, *, subject_id: int) -> Screening:
    """The subject and its latest stored eligibility evaluation with every criterion (``subject.read``)."""
    with reading(db, actor=actor) as ctx:
        row = _subject(ctx.session, actor, subject_id)
        latest = ctx.session.scalars(
            select(EligibilityEvaluation)
            .where(EligibilityEvaluation.subject_id == subject_id, EligibilityEvaluation.voided.is_(False))
            .order_by(EligibilityEvaluation.id.desc())
        ).first()
        protocol = study_protocol(ctx.session, ctx.session.get_one(Subject, subject_id).study_id)
        template = template_record(protocol) | {"candidate": row.screening_number}
        if latest is None:
            return Screening(row, None, template)
        texts = _criterion_texts(protocol)
        criteria = [
            CriterionView(
                str(c["id"]),
                str(c["type"]),
                str(c["kind"]),
                texts.get(str(c["id"]), ""),
                str(c["result"]),
                str(c.get("reason", "")),
                dict(c.get("evidence") or {}),
            )
            for c in latest.criteria.values()
        ]
        evaluation = (latest.id, latest.verdict, latest.evaluated_local, latest.protocol_version)
    signatures = signatures_of(db, actor, entity_type="eligibility_evaluation", entity_id=evaluation[0])
    return Screening(row, EvaluationView(*evaluation, criteria, signatures), template)


@dataclass(frozen=True)
class ExpectedForm:
    """A form the protocol assigns to a visit, with the saved instance (None: not started)."""

    code: str
    title: str
    instrument: str | None
    saved: FormRow | None

    @property
    def status(self) -> str:
        """``not-started`` or the saved form's status."""
        return self.saved.status if self.saved else "not-started"

    def to_json(self) -> dict[str, Any]:
        """The API representation."""
        return {
            "form_code": self.code,
            "title": self.title,
            "instrument": self.instrument,
            "status": self.status,
            "form_id": self.saved.form_id if self.saved else None,
            "version": self.saved.version if self.saved else None,
        }


@dataclass(frozen=True)
class VisitForms:
    """One visit of a subject and the forms its protocol visit lists."""

    subject: SubjectRow
    visit_id: int
    visit_code: str
    label: str
    status: str
    visit_local: str | None
    forms: list[ExpectedForm]

    def to_json(self) -> dict[str, Any]:
        """The API representation."""
        return {
            "subject_id": self.subject.subject_id,
            "visit_id": self.visit_id,
            "visit_code": self.visit_code,
            "label": self.label,
            "status": self.status,
            "visit_local": self.visit_local,
            "forms": [f.to_json() for f in self.forms],
        }


def visit_forms(db: Database, actor: Actor, *, subject_id: int, visit_id: int) -> VisitForms:
    """The visit and the protocol's forms for it, each with its latest saved instance (``subject.read``)."""
    with reading(db, actor=actor) as ctx:
        row = _subject(ctx.session, actor, subject_id)
        visit = ctx.session.get(Visit, visit_id)
        if visit is None or visit.subject_id != subject_id or visit.voided:
            raise NotFound(f"no visit {visit_id} of subject {subject_id}", path=("visit_id",), value=visit_id)
        protocol = study_protocol(ctx.session, ctx.session.get_one(Subject, subject_id).study_id)
        planned = protocol.visit(visit.visit_code) if visit.visit_code in {v.id for v in protocol.visits} else None
        saved: dict[str, FormRow] = {}
        for form in _form_rows(ctx.session, subject_id):
            if form.visit_id == visit_id:
                saved[form.form_code] = form  # the latest instance of each code
        codes = planned.forms if planned else []
        forms = [
            ExpectedForm(code, find_form(protocol, code).title, find_form(protocol, code).instrument, saved.get(code))
            for code in codes
        ]
        label = planned.label if planned else visit.visit_code
        return VisitForms(row, visit.id, visit.visit_code, label, visit.status, visit.visit_local, forms)


@dataclass(frozen=True)
class FormPage:
    """What the form screen needs: the visit, the protocol's form, its code lists and the saved instance."""

    visit: VisitForms
    form: Form
    codelists: dict[str, list[tuple[str, str]]]
    saved: FormRow | None


def form_page(db: Database, actor: Actor, *, subject_id: int, visit_id: int, form_code: str) -> FormPage:
    """The form ``form_code`` of a visit as the protocol defines it, with its saved values (``subject.read``)."""
    visit = visit_forms(db, actor, subject_id=subject_id, visit_id=visit_id)
    with reading(db, actor=actor) as ctx:
        protocol = study_protocol(ctx.session, ctx.session.get_one(Subject, subject_id).study_id)
    form = find_form(protocol, form_code)
    if form.code not in {f.code for f in visit.forms}:
        allowed = ", ".join(f.code for f in visit.forms)
        raise NotFound(
            f"form {form_code} is not expected at {visit.visit_code} ({allowed})", path=("form_code",), value=form_code
        )
    codelists = {c.id: [(e.code, e.label) for e in c.entries] for c in protocol.codelists}
    saved = next((f.saved for f in visit.forms if f.code == form.code), None)
    return FormPage(visit, form, codelists, saved)
