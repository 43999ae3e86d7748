"""Read use cases behind the web screens and the JSON API: subjects (paginated), one subject, its visits and forms.

Scoping: the actor needs ``subject.read``; a subject at a site where they hold no grant answers :class:`NotFound`
(its existence is not revealed), while an actor who may read no site at all is refused (:class:`PermissionDenied`).
The dashboard and subject matrix are in :mod:`dermtrial.services.matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from dermtrial.conduct.subject_status import STUDY_STATUSES
from dermtrial.services.access import Actor, permitted_sites, require
from dermtrial.services.errors import NotFound, invalid
from dermtrial.services.studies import only_study
from dermtrial.services.uow import reading
from dermtrial.store.engine import Database
from dermtrial.store.models import FormInstance, Site, Subject, Visit

#: Subject statuses (``subject.status``), for filters.
SUBJECT_STATUSES = STUDY_STATUSES
MAX_PER_PAGE = 200
Q = TypeVar("Q", bound="Select[*tuple[Any, ...]]")


def readable_sites(session: Session, actor: Actor) -> set[int] | None:
    """Sites whose subjects the actor may read (None: every site); PermissionDenied when there are none."""
    allowed = permitted_sites(session, actor, "subject.read")
    if allowed is not None and not allowed:
        require(session, actor, "subject.read")  # raises, naming what the actor does hold
    return allowed


def scoped(query: Q, allowed: set[int] | None) -> Q:
    """``query`` (over ``subject``) limited to the sites in ``allowed``."""
    return query if allowed is None else query.where(Subject.site_id.in_(sorted(allowed)))


@dataclass(frozen=True)
class SubjectRow:
    """A subject as listed and shown: numbers, site, status, and the version for optimistic concurrency."""

    subject_id: int
    site: str
    screening_number: str
    subject_number: str | None
    status: str
    arm: str | None
    enrolled_on: str | None
    version: int

    def to_json(self) -> dict[str, Any]:
        """The API representation."""
        return {
            "id": self.subject_id,
            "site": self.site,
            "screening_number": self.screening_number,
            "subject_number": self.subject_number,
            "status": self.status,
            "arm": self.arm,
            "enrolled_on": self.enrolled_on,
            "version": self.version,
        }


@dataclass(frozen=True)
class SubjectPage:
    """One page of subjects and the total across pages."""

    items: list[SubjectRow]
    total: int
    page: int
    per_page: int


_SUBJECT_COLUMNS = (
    Subject.id,
    Site.code,
    Subject.screening_number,
    Subject.subject_number,
    Subject.status,
    Subject.arm_code,
    Subject.enrolled_on,
    Subject.version,
)


def list_subjects(
    db: Database,
    actor: Actor,
    *,
    page: int = 1,
    per_page: int = 50,
    site_code: str | None = None,
    status: str | None = None,
    study_id: int | None = None,
) -> SubjectPage:
    """The subjects the actor may read, by screening number, one page at a time (two statements)."""
    if page < 1:
        raise invalid("page", page, "a page number from 1")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise invalid("per_page", per_page, f"1–{MAX_PER_PAGE} subjects per page")
    if status is not None and status not in SUBJECT_STATUSES:
        raise invalid("status", status, f"one of {', '.join(SUBJECT_STATUSES)}")
    study_id = study_id if study_id is not None else only_study(db)
    with reading(db, actor=actor) as ctx:
        allowed = readable_sites(ctx.session, actor)
        base = (
            select(*_SUBJECT_COLUMNS)
            .join(Site, Site.id == Subject.site_id)
            .where(Subject.study_id == study_id, Subject.voided.is_(False))
        )
        if site_code is not None:
            base = base.where(Site.code == site_code)
        if status is not None:
            base = base.where(Subject.status == status)
        base = scoped(base, allowed)
        total = ctx.session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = ctx.session.execute(
            base.order_by(Subject.screening_number).limit(per_page).offset((page - 1) * per_page)
        ).all()
        return SubjectPage([SubjectRow(*row) for row in rows], total, page, per_page)


def _subject(session: Session, actor: Actor, subject_id: int) -> SubjectRow:
    allowed = readable_sites(session, actor)
    row = session.execute(
        select(*_SUBJECT_COLUMNS, Subject.site_id)
        .join(Site, Site.id == Subject.site_id)
        .where(Subject.id == subject_id, Subject.voided.is_(False))
    ).one_or_none()
    if row is None or (allowed is not None and row.site_id not in allowed):
        raise NotFound(f"no subject {subject_id}", path=("subject_id",), value=subject_id)
    return SubjectRow(*row[:-1])


def get_subject(db: Database, actor: Actor, *, subject_id: int) -> SubjectRow:
    """One subject the actor may read (NotFound for a subject of another site)."""
    with reading(db, actor=actor) as ctx:
        return _subject(ctx.session, actor, subject_id)


@dataclass(frozen=True)
class FormRow:
    """A form instance as shown: where it belongs, its status, values, derived result and version."""

    form_id: int
    subject_id: int
    visit_id: int | None
    visit_code: str | None
    form_code: str
    form_version: str
    status: str
    item_values: dict[str, Any]
    derived: dict[str, Any] | None
    version: int

    def to_json(self) -> dict[str, Any]:
        """The API representation."""
        return {
            "id": self.form_id,
            "subject_id": self.subject_id,
            "visit_id": self.visit_id,
            "visit_code": self.visit_code,
            "form_code": self.form_code,
            "form_version": self.form_version,
            "status": self.status,
            "item_values": self.item_values,
            "derived": self.derived,
            "version": self.version,
        }


@dataclass(frozen=True)
class VisitRow:
    """A visit of a subject with its forms (forms not yet started are absent)."""

    visit_id: int
    visit_code: str
    repeat: int
    status: str
    visit_local: str | None
    forms: list[FormRow]

    def to_json(self) -> dict[str, Any]:
        """The API representation."""
        return {
            "id": self.visit_id,
            "visit_code": self.visit_code,
            "repeat": self.repeat,
            "status": self.status,
            "visit_local": self.visit_local,
            "forms": [f.to_json() for f in self.forms],
        }


def _form_rows(session: Session, subject_id: int, form_id: int | None = None) -> list[FormRow]:
    query = (
        select(FormInstance, Visit.visit_code)
        .outerjoin(Visit, Visit.id == FormInstance.visit_id)
        .where(FormInstance.subject_id == subject_id, FormInstance.voided.is_(False))
        .order_by(FormInstance.id)
    )
    if form_id is not None:
        query = query.where(FormInstance.id == form_id)
    return [
        FormRow(
            f.id,
            f.subject_id,
            f.visit_id,
            code,
            f.form_code,
            f.form_version,
            f.status,
            f.item_values,
            f.derived,
            f.version,
        )
        for f, code in session.execute(query)
    ]


def subject_visits(db: Database, actor: Actor, *, subject_id: int) -> list[VisitRow]:
    """The subject's visits in schedule order, each with its saved forms (three statements)."""
    with reading(db, actor=actor) as ctx:
        _subject(ctx.session, actor, subject_id)
        forms: dict[int | None, list[FormRow]] = {}
        for form in _form_rows(ctx.session, subject_id):
            forms.setdefault(form.visit_id, []).append(form)
        visits = ctx.session.scalars(
            select(Visit).where(Visit.subject_id == subject_id, Visit.voided.is_(False)).order_by(Visit.id)
        )
        return [VisitRow(v.id, v.visit_code, v.repeat, v.status, v.visit_local, forms.get(v.id, [])) for v in visits]


def get_form(db: Database, actor: Actor, *, subject_id: int, form_id: int) -> FormRow:
    """One form instance of a subject the actor may read."""
    with reading(db, actor=actor) as ctx:
        _subject(ctx.session, actor, subject_id)
        rows = _form_rows(ctx.session, subject_id, form_id)
        if not rows:
            raise NotFound(f"no form {form_id} of subject {subject_id}", path=("form_id",), value=form_id)
        return rows[0]
