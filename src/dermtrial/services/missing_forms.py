"""Missing and overdue forms per subject and visit (``dermtrial report missing-forms``).

For each visit of each subject the actor may read: a visit that took place lists every expected form still missing
(no record, ``not-started`` or ``in-progress``); a visit whose window has closed (site's today after the window end)
lists them as **overdue**, whether the visit took place or not. A visit recorded as not done lists nothing. Windows
are placed from the first treatment date (the ``day1`` visit); before it, only visits that took place are listed.

Which forms a visit expects, and which count as done, is decided in one place shared with the subject matrix
(:mod:`dermtrial.services.expected_forms`): a form whose ``applies_when`` is false for the subject is not expected
(undecidable, e.g. demographics not entered yet: expected); laboratory results, tube records and the consent count
as their forms; a form saved without a visit (end of treatment) counts at the one visit that lists it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermtrial.conduct import is_overdue, plan_visit
from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor, find_site, permitted_sites
from dermtrial.services.expected_forms import load_expected_forms
from dermtrial.services.forms import study_protocol
from dermtrial.services.records import site_today
from dermtrial.services.studies import only_study
from dermtrial.services.uow import reading
from dermtrial.services.visits import FIRST_TREATMENT_VISIT
from dermtrial.store.engine import Database
from dermtrial.store.models import Site, Subject, Visit


@dataclass(frozen=True)
class MissingForm:
    """One expected form not yet done."""

    site: str
    subject: str
    visit: str
    form: str
    status: str
    overdue: bool
    window_end: dt.date | None

    def to_json(self) -> dict[str, object]:
        """The ``--json`` row."""
        return {
            "site": self.site,
            "subject": self.subject,
            "visit": self.visit,
            "form": self.form,
            "status": self.status,
            "overdue": self.overdue,
            "window_end": None if self.window_end is None else self.window_end.isoformat(),
        }


def missing_forms(
    db: Database, actor: Actor, *, now: dt.datetime, site_code: str | None = None, study_id: int | None = None
) -> list[MissingForm]:
    """Every missing or overdue form at the sites the actor may read (or at ``site_code``), by subject and visit."""
    study_id = study_id if study_id is not None else only_study(db)
    with reading(db, actor=actor) as ctx:
        session = ctx.session
        protocol = study_protocol(session, study_id)
        allowed = permitted_sites(session, actor, "subject.read")
        query = select(Site).where(Site.study_id == study_id).order_by(Site.code)
        if site_code is not None:
            site = find_site(session, study_id, site_code)
            ctx.require("subject.read", site.id)
            query = query.where(Site.id == site.id)
        out: list[MissingForm] = []
        for site in session.scalars(query):
            if allowed is not None and site.id not in allowed:
                continue
            out.extend(_site_rows(session, protocol, site, site_today(site, now)))
        return out


def _site_rows(session: Session, protocol: Protocol, site: Site, today: dt.date) -> list[MissingForm]:
    """The rows of one site's subjects (a constant number of statements per site)."""
    live = (Subject.site_id == site.id, Subject.voided.is_(False))
    subjects = session.execute(
        select(Subject.id, Subject.subject_number, Subject.screening_number).where(*live).order_by(Subject.id)
    ).all()
    visit_rows = session.execute(
        select(Visit.id, Visit.subject_id, Visit.visit_code, Visit.visit_local, Visit.status)
        .join(Subject, Subject.id == Visit.subject_id)
        .where(*live, Visit.repeat == 1, Visit.voided.is_(False))
        .order_by(Visit.id)
    ).all()
    keys = [(v.id, v.subject_id, v.visit_code, v.visit_local) for v in visit_rows]
    decided = load_expected_forms(session, protocol, select(Subject.id).where(*live).scalar_subquery(), keys)
    firsts = {
        v.subject_id: dt.date.fromisoformat(v.visit_local[:10])
        for v in visit_rows
        if v.visit_code == FIRST_TREATMENT_VISIT and v.visit_local
    }
    by_subject: dict[int, list[Any]] = {}
    for visit in visit_rows:
        by_subject.setdefault(visit.subject_id, []).append(visit)
    rows: list[MissingForm] = []
    for subject_id, subject_number, screening_number in subjects:
        number = subject_number or screening_number
        first = firsts.get(subject_id)
        for visit in by_subject.get(subject_id, []):
            if visit.id not in decided or visit.status in {"not-done", "missed"}:
                continue
            planned = plan_visit(protocol.visit(visit.visit_code), first) if first is not None else None
            overdue = planned is not None and is_overdue(planned, today)
            if visit.visit_local is None and not overdue:
                continue
            for form in decided[visit.id]:
                if form.missing:
                    rows.append(
                        MissingForm(
                            site.code,
                            number,
                            visit.visit_code,
                            form.form,
                            form.status or "none",
                            overdue,
                            None if planned is None else planned.window_end,
                        )
                    )
    return rows
