"""Laboratory results: stored as entered, converted to SI, graded by CTCAE v5.0 against the site's reference range.

``record_lab_result`` keeps the value as entered (text and number) with its unit, the value in the test's SI unit
(through the molar mass where needed, :mod:`dermtrial.eligibility.labs`), the site's reference range that applies
(:func:`dermtrial.services.reference_ranges.find_reference_range`, by sex, age in the year of collection and date;
sex and year of birth from the subject, else from its DM form) and
the CTCAE grade computed by the core (:func:`dermtrial.safety.grade_lab`) with the criteria version beside it. The
stored ``grade`` is the worst of the test's terms (a value cannot be both high and low); the grade of every term, with
any ``not_gradable`` reason and ``value_only`` note, is recorded as a ``derivation`` audit event of the result.

Baseline: the subject's latest result of the same test collected on or before the first treatment date (day 1);
none before treatment starts. Calcium is corrected with the albumin given, or with the subject's albumin result of
the same day. A grade at or above the protocol's ``lab_grade_at_least`` alert (default 3), or a rise of 2 grades or
more from the baseline grade, is a ``safety-alert`` audit event and is returned.

``record_lab_panel`` stores the results of one blood draw (one collection time) in one unit of work, each exactly
as ``record_lab_result`` would: the subject, its locks, demographics, first treatment date and earlier results are
read once, and the rows are inserted together. Every entry is checked first (problems name it: ``results[2].unit``)
and one bad entry stores nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from dermtrial.eligibility.labs import check_unit, conversion
from dermtrial.errors import InvalidInput, Path, Problem, format_path
from dermtrial.protocol.model import LabTest, Protocol, Settings
from dermtrial.safety import LabGrade, criteria, grade_lab
from dermtrial.safety.alerts import LabAlert, lab_alerts
from dermtrial.services.access import Actor
from dermtrial.services.errors import invalid
from dermtrial.services.local_time import check_local
from dermtrial.services.locks import ensure_unlocked
from dermtrial.services.records import locate
from dermtrial.services.reference_ranges import RangeLookup, find_reference_range
from dermtrial.services.subjects import SubjectContext, load_subject
from dermtrial.services.uow import ServiceUnitOfWork, unit_of_work
from dermtrial.services.visits import first_treatment_date
from dermtrial.store.engine import Database
from dermtrial.store.models import FormInstance, LabResult


@dataclass(frozen=True)
class LabRecorded:
    """What was stored for one result: its id, the grading, the worst grade, the alerts and any range problem."""

    id: int
    grading: LabGrade | None
    grade: int | None
    alerts: tuple[LabAlert, ...]
    range_reason: str | None


@dataclass(frozen=True)
class LabEntry:
    """One result of a blood draw for :func:`record_lab_panel`: the test, the value in ``unit`` and, for calcium,
    the albumin (g/L) to correct it with (else the draw's or the same day's albumin result)."""

    test_code: str
    value: Decimal
    unit: str
    albumin_g_per_l: Decimal | None = None


def grade_in_protocol(
    test: LabTest,
    value: Decimal,
    unit: str,
    settings: Settings,
    *,
    lln: Decimal | None,
    uln: Decimal | None,
    baseline: Decimal | None = None,
    albumin_g_per_l: Decimal | None = None,
) -> LabGrade:
    """CTCAE grading of one value with the protocol's settings (calcium correction, haemoglobin reference): what a
    stored result and a preview both use."""
    return grade_lab(
        test,
        value,
        unit,
        lln=lln,
        uln=uln,
        baseline=baseline,
        albumin_g_per_l=albumin_g_per_l,
        calcium_correction_name=settings.calcium_correction,
        hemoglobin_increased_reference=settings.hemoglobin_increased_reference,
    )


def worst_grade(grading: LabGrade) -> int | None:
    """The grade stored for a result: the highest known grade ≥ 1; else None if a term is not gradable; else 0."""
    known = [g.grade for g in grading.grades if g.grade is not None]
    if any(grade >= 1 for grade in known):
        return max(known)
    return None if len(known) < len(grading.grades) else 0


def _alert_threshold(protocol: Protocol) -> int:
    grades = [a.grade for a in protocol.safety.alerts if a.kind == "lab_grade_at_least" and a.grade is not None]
    return min(grades, default=3)


def _demographics(session: Session, ctx: SubjectContext) -> tuple[str | None, int | None]:
    """Sex and year of birth: the subject's own, else those entered on its latest DM form."""
    sex, birth_year = ctx.subject.sex, ctx.subject.birth_year
    if sex is None or birth_year is None:
        form = session.scalars(
            select(FormInstance)
            .where(
                FormInstance.subject_id == ctx.subject.id,
                FormInstance.form_code == "DM",
                FormInstance.voided.is_(False),
            )
            .order_by(FormInstance.id.desc())
        ).first()
        values = form.item_values if form is not None else {}
        sex = sex or (values.get("SEX") if isinstance(values.get("SEX"), str) else None)
        year = str(values.get("BRTHDAT") or "")[:4]
        birth_year = birth_year or (int(year) if year.isdigit() else None)
    return sex, birth_year


def _range(session: Session, ctx: SubjectContext, test: LabTest, on: dt.date) -> RangeLookup:
    return _range_for(session, ctx, _demographics(session, ctx), test, on)


def _range_for(
    session: Session, ctx: SubjectContext, demographics: tuple[str | None, int | None], test: LabTest, on: dt.date
) -> RangeLookup:
    sex, birth_year = demographics
    if birth_year is None:
        return RangeLookup(None, None, None, None, None, reason="the subject's year of birth is unknown")
    return find_reference_range(session, ctx.site, test.code, sex, on.year - birth_year, on)


def _in_unit(test: LabTest, value: Decimal | None, source: str | None, unit: str) -> Decimal | None:
    if value is None or source is None:
        return None
    return value * conversion(test, source, unit).factor


def _earlier(session: Session, subject_id: int, code: str, on_or_before: dt.date, same_day: bool) -> LabResult | None:
    rows = session.scalars(
        select(LabResult).where(
            LabResult.subject_id == subject_id, LabResult.test_code == code, LabResult.voided.is_(False)
        )
    ).all()
    return _latest(rows, on_or_before, same_day)


def _latest(rows: Sequence[LabResult], on_or_before: dt.date, same_day: bool) -> LabResult | None:
    """Of ``rows`` (one test's), the latest by (collection date, id) on ``on_or_before`` (``same_day``) or before."""
    day = on_or_before.isoformat()
    dated = [(str(r.collected_local)[:10], r.id, r) for r in rows if r.collected_local]
    wanted = [item for item in dated if (item[0] == day if same_day else item[0] <= day)]
    return max(wanted, key=lambda item: (item[0], item[1]))[2] if wanted else None


_STORED_PLACES = Decimal("0.000001")  # lab_result.si_value is Numeric(18, 6)


def _as_stored(value: Decimal | None) -> Decimal | None:
    """``value`` exactly as the Numeric(18, 6) column gives it back (``30.0`` → ``30.000000``), when that is certain
    without asking the database: at most 6 decimals and 15 significant digits (which also survive SQLite's binary
    float). None otherwise: the value must be read back."""
    if value is None or not value.is_finite() or value.adjusted() >= 12:
        return None
    stored = value.quantize(_STORED_PLACES)
    return stored if stored == value and len(stored.as_tuple().digits) <= 15 else None


@dataclass(frozen=True)
class _Draw:
    """What the results of one blood draw share, read once per call inside its unit of work."""

    work: ServiceUnitOfWork
    ctx: SubjectContext
    visit_id: int | None
    collected_local: str
    collected: dt.date
    demographics: tuple[str | None, int | None]
    first_treatment: dt.date | None
    alert_threshold: int


def _check_values(entries: Sequence[LabEntry], prefixes: Sequence[Path]) -> list[Problem]:
    """Values must be finite numbers ≥ 0 (checked before anything is read)."""
    return [
        Problem((*prefix, "value"), f"{entry.value} is not allowed: a number ≥ 0", value=entry.value)
        for entry, prefix in zip(entries, prefixes, strict=True)
        if not entry.value.is_finite() or entry.value < 0
    ]


def _check_tests(
    entries: Sequence[LabEntry], prefixes: Sequence[Path], tests: dict[str, LabTest]
) -> tuple[list[LabTest], list[Problem]]:
    """Each entry's test (one of the protocol's) and unit (one the test allows); a test at most once per draw."""
    found: list[LabTest] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, (entry, prefix) in enumerate(zip(entries, prefixes, strict=True)):
        test = tests.get(entry.test_code)
        if test is None:
            message = f'"{entry.test_code}" is not allowed: one of {", ".join(tests)}'
            problems.append(Problem((*prefix, "test_code"), message, value=entry.test_code))
            continue
        if (unit_problem := check_unit(test, entry.unit)) is not None:
            problems.append(Problem((*prefix, "unit"), unit_problem, value=entry.unit))
        if test.code in seen:
            message = (
                f'"{entry.test_code}" is not allowed twice in one panel: '
                f"{format_path(prefixes[seen[test.code]])} is also {test.code}"
            )
            problems.append(Problem((*prefix, "test_code"), message, value=entry.test_code))
        seen.setdefault(test.code, index)
        found.append(test)
    return found, problems


@dataclass
class _Graded:
    """One result of the draw, graded, waiting to be stored with the others."""

    record: LabResult
    grading: LabGrade | None
    alerts: list[LabAlert]
    range_reason: str | None


class _Panel:
    """The results of one draw, graded in turn against the subject's results read once, then stored together.

    The subject's non-voided results are read once (:func:`_history`); the baseline and the same-day albumin are
    taken from them, or for the albumin from the panel itself, as :func:`_earlier` would find them. The rows are
    inserted together and audited in the order they were graded (albumin first).
    """

    def __init__(self, draw: _Draw, history: dict[str, list[LabResult]]) -> None:
        self.draw = draw
        self.history = history
        self.graded: list[_Graded] = []
        self.stored = 0
        self.albumin: LabResult | None = None
        self.read_back: list[tuple[LabResult, Decimal]] = []

    def add(self, test: LabTest, entry: LabEntry) -> _Graded:
        graded = _grade(self, test, entry)
        self.graded.append(graded)
        if test.code == "ALB":
            self.albumin = graded.record
        return graded

    def albumin_g_per_l(self) -> Decimal | None:
        """The si_value, as stored, of the draw's albumin, else of the subject's latest albumin of the same day."""
        draw = self.draw
        row = self.albumin or _latest(self.history.get("ALB", []), draw.collected, same_day=True)
        if row is None:
            return None
        stored = _as_stored(row.si_value)
        if stored is None:  # not certain without the database: store the draw so far and read the value back
            self.store()
            draw.work.session.refresh(row, ["si_value"])
            return row.si_value
        self.read_back.append((row, stored))  # the row then holds what a read-back would give, as before
        return stored

    def store(self) -> None:
        """Insert the results graded so far (one flush) and audit each: create, derivation, alerts."""
        work, ctx = self.draw.work, self.draw.ctx
        waiting = self.graded[self.stored :]
        work.session.add_all([graded.record for graded in waiting])
        for graded in waiting:
            record = graded.record
            work.add(record, **ctx.place())  # the first flushes them all; the create event as one by one
            if graded.grading is not None:
                detail = graded.grading.to_json()
                if graded.range_reason:
                    detail["reference_range"] = graded.range_reason
                work.record(
                    "derivation",
                    entity_type="lab_result",
                    entity_id=str(record.id),
                    field="ctcae",
                    new=detail,
                    **ctx.place(),
                )
            for alert in graded.alerts:
                work.record(
                    "safety-alert",
                    entity_type="lab_result",
                    entity_id=str(record.id),
                    field=alert.kind,
                    new={"term": alert.term, "grade": alert.grade, "message": alert.message},
                    **ctx.place(),
                )
        self.stored = len(self.graded)
        for row, value in self.read_back:
            set_committed_value(row, "si_value", value)
        self.read_back.clear()


def _history(session: Session, subject_id: int) -> dict[str, list[LabResult]]:
    """The subject's non-voided results by test code (one query), with the values as stored: a result entered earlier
    in the same batch is held by the session with its SI value before the column rounded it to 6 decimals, and a
    baseline must be the stored value, as when entered one use case at a time."""
    rows = session.scalars(
        select(LabResult)
        .where(LabResult.subject_id == subject_id, LabResult.voided.is_(False))
        .execution_options(populate_existing=True)
    ).all()
    by_test: dict[str, list[LabResult]] = {}
    for row in rows:
        by_test.setdefault(row.test_code, []).append(row)
    return by_test


def _grade(panel: _Panel, test: LabTest, entry: LabEntry) -> _Graded:
    """One checked result of the panel's draw with its SI value, range, grade and alerts (not stored yet)."""
    draw = panel.draw
    ctx, value, unit, collected = draw.ctx, entry.value, entry.unit, draw.collected
    lookup = _range_for(draw.work.session, ctx, draw.demographics, test, collected)
    lln, uln = _in_unit(test, lookup.lower, lookup.unit, unit), _in_unit(test, lookup.upper, lookup.unit, unit)
    first = draw.first_treatment
    after_start = first is not None and collected > first
    before = _latest(panel.history.get(test.code, []), first, same_day=False) if first and after_start else None
    baseline = _in_unit(test, before.si_value, before.si_unit, unit) if before is not None else None
    albumin_g_per_l = entry.albumin_g_per_l
    if test.code == "CA" and albumin_g_per_l is None:
        albumin_g_per_l = panel.albumin_g_per_l()
    grading: LabGrade | None = None
    alerts: list[LabAlert] = []
    if criteria().terms_for(test.code):
        settings = ctx.protocol.settings
        grading = grade_in_protocol(test, value, unit, settings, lln=lln, uln=uln, baseline=baseline,
                                    albumin_g_per_l=albumin_g_per_l)  # fmt: skip
        baseline_grading = (
            grade_in_protocol(test, baseline, unit, settings, lln=lln, uln=uln) if baseline is not None else None
        )
        alerts = lab_alerts(grading, baseline_grading, draw.alert_threshold)
    si_value = value * conversion(test, unit, test.si_unit).factor
    record = LabResult(
        subject_id=ctx.subject.id,
        visit_id=draw.visit_id,
        test_code=test.code,
        value_text=str(value),
        value=value,
        unit=unit,
        si_value=si_value,
        si_unit=test.si_unit,
        reference_range_id=lookup.range_id,
        grade=None if grading is None else worst_grade(grading),
        grading_version=None if grading is None else grading.version,
        collected_local=draw.collected_local,
        collected_tz=ctx.site.timezone,
    )
    return _Graded(record, grading, alerts, lookup.reason)


def _record_draw(
    db: Database,
    actor: Actor,
    *,
    subject_id: int,
    entries: Sequence[LabEntry],
    prefixes: Sequence[Path],
    collected_local: str,
    now: dt.datetime,
    visit_id: int | None,
) -> list[LabRecorded]:
    """Check every entry, then store them all in one unit of work (nothing stored if one is refused)."""
    check_local(collected_local, field="collected_local")
    if problems := _check_values(entries, prefixes):
        raise InvalidInput(problems)
    with unit_of_work(db, actor=actor, now=now, reason="laboratory result") as work:
        ctx = load_subject(work, subject_id, "form.write")
        tests, problems = _check_tests(entries, prefixes, {t.code: t for t in ctx.protocol.safety.lab_tests})
        if problems:
            raise InvalidInput(problems)
        session = work.session
        ensure_unlocked(session, locate(session, "visit" if visit_id else "subject", visit_id or subject_id))
        draw = _Draw(
            work=work,
            ctx=ctx,
            visit_id=visit_id,
            collected_local=collected_local,
            collected=dt.date.fromisoformat(collected_local[:10]),
            demographics=_demographics(session, ctx),
            first_treatment=first_treatment_date(session, subject_id),
            alert_threshold=_alert_threshold(ctx.protocol),
        )
        first = draw.first_treatment
        needs_history = (first is not None and draw.collected > first) or any(
            test.code == "CA" and entry.albumin_g_per_l is None for test, entry in zip(tests, entries, strict=True)
        )
        panel = _Panel(draw, _history(session, subject_id) if needs_history else {})
        # albumin first: a calcium of the draw without an albumin given is corrected with the draw's albumin
        order = sorted(range(len(entries)), key=lambda index: tests[index].code != "ALB")
        graded = {index: panel.add(tests[index], entries[index]) for index in order}
        panel.store()
        return [
            LabRecorded(g.record.id, g.grading, g.record.grade, tuple(g.alerts), g.range_reason)
            for g in (graded[index] for index in range(len(entries)))
        ]


def record_lab_result(
    db: Database,
    actor: Actor,
    *,
    subject_id: int,
    test_code: str,
    value: Decimal,
    unit: str,
    collected_local: str,
    now: dt.datetime,
    visit_id: int | None = None,
    albumin_g_per_l: Decimal | None = None,
) -> LabRecorded:
    """Store one result with its SI value, reference range and CTCAE grade (``form.write`` at the subject's site)."""
    (recorded,) = _record_draw(
        db,
        actor,
        subject_id=subject_id,
        entries=[LabEntry(test_code, value, unit, albumin_g_per_l)],
        prefixes=[()],
        collected_local=collected_local,
        now=now,
        visit_id=visit_id,
    )
    return recorded


def record_lab_panel(
    db: Database,
    actor: Actor,
    *,
    subject_id: int,
    results: Sequence[LabEntry],
    collected_local: str,
    now: dt.datetime,
    visit_id: int | None = None,
) -> list[LabRecorded]:
    """Store the results of one blood draw in one unit of work, each as :func:`record_lab_result` would.

    Every entry is checked before anything is stored; problems name the entry (``results[2].unit``). A test may
    appear once per panel. A calcium without an albumin given is corrected with the panel's albumin, whatever the
    order of the entries. Returns what was stored for each entry, in the order given.
    """
    if not results:
        raise invalid("results", [], "an empty panel is not allowed: at least one result")
    return _record_draw(
        db,
        actor,
        subject_id=subject_id,
        entries=list(results),
        prefixes=[("results", index) for index in range(len(results))],
        collected_local=collected_local,
        now=now,
        visit_id=visit_id,
    )
