"""Missing and overdue forms per subject and visit (``dermtrial report missing-forms``).

For each visit of each subject the actor may read: a visit that took place lists every expected form still missing
(no record, ``not-started`` or ``in-progress``); a visit whose window has closed (site's today after the window end)
lists them as **overdue**, whether the visit took place or not. A visit recorded as not done lists nothing. Windows
are placed from the first treatment date (the ``day1`` visit); before it, only visits that took place are listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermtrial.conduct import is_missing, is_overdue, plan_visit
from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor, find_site, permitted_sites
from dermtrial.services.forms import study_protocol
from dermtrial.services.records import site_today
from dermtrial.services.studies import only_study
from dermtrial.services.uow import reading
from dermtrial.services.visits import first_treatment_date
from dermtrial.store.engine import Database
from dermtrial.store.models import FormInstance, Site, Subject, Visit


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
            today = site_today(site, now)
            subjects = session.scalars(
                select(Subject).where(Subject.site_id == site.id, Subject.voided.is_(False)).order_by(Subject.id)
            )
            for subject in subjects:
                out.extend(_subject_rows(session, protocol, site, subject, today))
        return out


def _subject_rows(
    session: Session, protocol: Protocol, site: Site, subject: Subject, today: dt.date
) -> list[MissingForm]:
    first = first_treatment_date(session, subject.id)
    visits = session.scalars(
        select(Visit)
        .where(Visit.subject_id == subject.id, Visit.repeat == 1, Visit.voided.is_(False))
        .order_by(Visit.id)
    )
    stored: dict[tuple[int | None, str], str] = {}
    for form in session.scalars(
        select(FormInstance).where(FormInstance.subject_id == subject.id, FormInstance.voided.is_(False))
    ):
        stored[(form.visit_id, form.form_code)] = form.status
    number = subject.subject_number or subject.screening_number
    rows: list[MissingForm] = []
    known = {v.id for v in protocol.visits}
    for visit in visits:
        if visit.visit_code not in known or visit.status in {"not-done", "missed"}:
            continue
        planned = plan_visit(protocol.visit(visit.visit_code), first) if first is not None else None
        overdue = planned is not None and is_overdue(planned, today)
        if visit.visit_local is None and not overdue:
            continue
        for code in protocol.visit(visit.visit_code).forms:
            status = stored.get((visit.id, code))
            if is_missing(status):
                rows.append(
                    MissingForm(
                        site.code,
                        number,
                        visit.visit_code,
                        code,
                        status or "none",
                        overdue,
                        None if planned is None else planned.window_end,
                    )
                )
    return rows
