"""The subject matrix (subjects × protocol visits, one state per cell) and the study dashboard, in a few statements.

A cell's state comes from the forms the visit expects of the subject and what is held for them, decided with
``dermtrial report missing-forms`` in one place (:mod:`dermtrial.services.expected_forms`: ``applies_when``,
form statuses, laboratory results, tubes, consent, forms saved without a visit), and from the visit's window placed
from the first treatment date (:mod:`dermtrial.conduct.schedule`), on the site's today:

=============  =====================================================================================================
state          when
=============  =====================================================================================================
``not-done``   the visit was recorded as not done (or missed)
``locked``     every expected form is done and the least advanced is locked; likewise ``signed``, ``verified``
``complete``   every expected form is done (complete, verified, signed, locked or not done with a reason)
``overdue``    a form is still missing and the window has closed
``in-progress`` a form is missing but the visit took place or a form was started
``due``        nothing entered yet and today is inside the window
``planned``    nothing entered yet and the window has not opened, or cannot be placed yet (no first treatment)
``none``       no such visit for this subject (not enrolled yet)
=============  =====================================================================================================

The whole matrix costs six statements whatever the number of subjects: sites, subjects, visits, and the three of
:func:`~dermtrial.services.expected_forms.load_expected_forms` (form statuses, the values ``applies_when`` reads,
the records kept apart).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from dermtrial.conduct import is_missing, is_overdue, plan_visit
from dermtrial.conduct.schedule import PlannedVisit
from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor
from dermtrial.services.expected_forms import load_expected_forms
from dermtrial.services.forms import study_protocol
from dermtrial.services.overview import readable_sites, scoped
from dermtrial.services.records import site_today
from dermtrial.services.studies import only_study
from dermtrial.services.uow import reading
from dermtrial.services.visits import FIRST_TREATMENT_VISIT
from dermtrial.store.engine import Database
from dermtrial.store.models import AdverseEvent, DataQuery, Site, Subject, Visit

CELL_STATES = (
    "none",
    "planned",
    "due",
    "in-progress",
    "overdue",
    "not-done",
    "complete",
    "verified",
    "signed",
    "locked",
)
_REVIEW_ORDER = ("complete", "verified", "signed", "locked")


def cell_state(
    expected: Sequence[str],
    statuses: Mapping[str, str],
    *,
    visit_status: str | None,
    visit_taken: bool,
    planned: PlannedVisit | None,
    today: dt.date,
    recorded: Collection[str] = (),
) -> str:
    """The state of one subject's visit (see the module table); ``visit_status`` None means no such visit row.

    ``expected`` are the forms the visit expects of the subject; ``recorded`` those of them kept as records of their
    own (laboratory results, tubes, consent): they count as done and, having no review status, do not hold the
    visit below ``locked``."""
    if visit_status is None:
        return "none"
    if visit_status in {"not-done", "missed"}:
        return "not-done"
    reviewed = [statuses.get(code) for code in expected if code not in recorded]
    if expected and not any(is_missing(s) for s in reviewed):
        ranks = [_REVIEW_ORDER.index(s) if s in _REVIEW_ORDER else 0 for s in reviewed]
        return _REVIEW_ORDER[min(ranks, default=0)]
    if planned is not None and is_overdue(planned, today):
        return "overdue"
    started = any(s is not None and s != "not-started" for s in reviewed)
    if visit_taken or started or any(code in recorded for code in expected):
        return "in-progress"
    if planned is not None and planned.window_start <= today:
        return "due"
    return "planned"


@dataclass(frozen=True)
class MatrixRow:
    """One subject's row: its number, site, status and the state of each protocol visit (in protocol order)."""

    subject_id: int
    number: str
    site: str
    status: str
    cells: list[str]
    visit_ids: list[int | None] = field(default_factory=list)
    """The stored visit behind each cell (None: not scheduled), for linking a cell to its visit."""


@dataclass(frozen=True)
class Matrix:
    """Columns (protocol visit id, label) and one row per subject the actor may read."""

    visits: list[tuple[str, str]]
    rows: list[MatrixRow]
    sites: list[str] = field(default_factory=list)
    """Codes of the sites the actor may read (for a site filter)."""
    window_ends: dict[tuple[int, str], dt.date] = field(default_factory=dict)

    def counts(self) -> Counter[str]:
        """How many cells are in each state."""
        return Counter(state for row in self.rows for state in row.cells)


def _matrix(db: Database, actor: Actor, now: dt.datetime, study_id: int, site_code: str | None) -> Matrix:
    with reading(db, actor=actor) as ctx:
        session = ctx.session
        protocol: Protocol = study_protocol(session, study_id)
        allowed = readable_sites(session, actor)
        site_rows = list(session.scalars(select(Site).where(Site.study_id == study_id)))
        codes = {s.id: s.code for s in site_rows}
        todays = {s.id: site_today(s, now) for s in site_rows}
        subjects_q = select(
            Subject.id, Subject.site_id, Subject.screening_number, Subject.subject_number, Subject.status
        ).where(Subject.study_id == study_id, Subject.voided.is_(False))
        if site_code is not None:
            subjects_q = subjects_q.where(Subject.site_id.in_([i for i, code in codes.items() if code == site_code]))
        subjects = session.execute(scoped(subjects_q, allowed).order_by(Subject.screening_number)).all()
        visible = scoped(select(Subject.id).where(Subject.study_id == study_id), allowed).scalar_subquery()
        visit_rows = session.execute(
            select(Visit.id, Visit.subject_id, Visit.visit_code, Visit.status, Visit.visit_local).where(
                Visit.subject_id.in_(visible), Visit.repeat == 1, Visit.voided.is_(False)
            )
        ).all()
        decided = load_expected_forms(
            session, protocol, visible, [(v.id, v.subject_id, v.visit_code, v.visit_local) for v in visit_rows]
        )
    visits: dict[tuple[int, str], Any] = {(v.subject_id, v.visit_code): v for v in visit_rows}
    firsts = {
        v.subject_id: dt.date.fromisoformat(v.visit_local[:10])
        for v in visit_rows
        if v.visit_code == FIRST_TREATMENT_VISIT and v.visit_local
    }
    columns = [(v.id, v.label) for v in protocol.visits]
    rows: list[MatrixRow] = []
    window_ends: dict[tuple[int, str], dt.date] = {}
    for subject_id, site_id, screening, number, status in subjects:
        today = todays[site_id]
        cells: list[str] = []
        visit_ids: list[int | None] = []
        for visit in protocol.visits:
            row = visits.get((subject_id, visit.id))
            visit_ids.append(None if row is None else row.id)
            first = firsts.get(subject_id)
            planned = plan_visit(visit, first) if first is not None and visit.id != "screening" else None
            if planned is not None:
                window_ends[(subject_id, visit.id)] = planned.window_end
            forms = decided.get(row.id, []) if row is not None else []
            cells.append(
                cell_state(
                    [f.form for f in forms if f.expected] if row is not None else visit.forms,
                    {f.form: f.status for f in forms if f.status is not None},
                    visit_status=None if row is None else row.status,
                    visit_taken=row is not None and row.visit_local is not None,
                    planned=planned,
                    today=today,
                    recorded={f.form for f in forms if f.recorded_as is not None},
                )
            )
        rows.append(MatrixRow(subject_id, number or screening, codes[site_id], status, cells, visit_ids))
    readable = sorted(code for i, code in codes.items() if allowed is None or i in allowed)
    return Matrix(columns, rows, readable, window_ends)


def subject_matrix(
    db: Database, actor: Actor, *, now: dt.datetime, site_code: str | None = None, study_id: int | None = None
) -> Matrix:
    """Subjects × protocol visits for the subjects the actor may read (optionally one site)."""
    return _matrix(db, actor, now, study_id if study_id is not None else only_study(db), site_code)


@dataclass(frozen=True)
class DueVisit:
    """A visit whose window is open (due) or closed with forms missing (overdue)."""

    subject_id: int
    subject: str
    site: str
    visit: str
    state: str
    window_end: dt.date | None


@dataclass(frozen=True)
class Dashboard:
    """The study at a glance for one actor: enrollment against target, open queries, visits due, AEs by grade."""

    protocol_id: str
    title: str
    target: int
    enrolled: int
    screening: int
    screen_failed: int
    by_site: dict[str, int]
    open_queries: int
    due: list[DueVisit]
    ae_by_grade: dict[str, int]
    cell_counts: dict[str, int]

    @property
    def enrolled_percent(self) -> int:
        """Enrolled as a whole percentage of the target (0 when the target is 0)."""
        return 0 if self.target == 0 else round(100 * self.enrolled / self.target)


def dashboard(db: Database, actor: Actor, *, now: dt.datetime, study_id: int | None = None) -> Dashboard:
    """The dashboard for the sites the actor may read (the matrix's four statements plus three counts)."""
    study_id = study_id if study_id is not None else only_study(db)
    matrix = _matrix(db, actor, now, study_id, None)
    with reading(db, actor=actor) as ctx:
        session = ctx.session
        protocol = study_protocol(session, study_id)
        allowed = readable_sites(session, actor)
        visible = scoped(select(Subject.id).where(Subject.study_id == study_id), allowed).scalar_subquery()
        open_queries = session.scalar(
            select(func.count()).where(DataQuery.subject_id.in_(visible), DataQuery.status != "closed")
        )
        grades = session.execute(
            select(AdverseEvent.grade, func.count())
            .where(AdverseEvent.subject_id.in_(visible), AdverseEvent.voided.is_(False))
            .group_by(AdverseEvent.grade)
        ).all()
    enrolled = [r for r in matrix.rows if r.status not in {"screening", "screen-failed"}]
    by_site = Counter(r.site for r in enrolled)
    due: list[DueVisit] = []
    for row in matrix.rows:
        for (code, label), state in zip(matrix.visits, row.cells, strict=True):
            if state in {"due", "overdue"}:
                end = matrix.window_ends.get((row.subject_id, code))
                due.append(DueVisit(row.subject_id, row.number, row.site, label, state, end))
    due.sort(key=lambda d: (d.state != "overdue", d.window_end or dt.date.max, d.subject))
    return Dashboard(
        protocol_id=protocol.identity.registry_id,
        title=protocol.identity.brief_title,
        target=protocol.design.enrollment.count,
        enrolled=len(enrolled),
        screening=sum(r.status == "screening" for r in matrix.rows),
        screen_failed=sum(r.status == "screen-failed" for r in matrix.rows),
        by_site=dict(sorted(by_site.items())),
        open_queries=int(open_queries or 0),
        due=due,
        ae_by_grade={
            ("not graded" if g is None else str(g)): int(n) for g, n in sorted(grades, key=lambda x: x[0] or 0)
        },
        cell_counts=dict(matrix.counts()),
    )
