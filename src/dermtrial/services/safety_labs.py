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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermtrial.eligibility.labs import check_unit, conversion
from dermtrial.protocol.model import LabTest, Protocol
from dermtrial.safety import LabGrade, criteria, grade_lab
from dermtrial.safety.alerts import LabAlert, lab_alerts
from dermtrial.services.access import Actor
from dermtrial.services.errors import invalid
from dermtrial.services.local_time import check_local
from dermtrial.services.locks import ensure_unlocked
from dermtrial.services.records import locate
from dermtrial.services.reference_ranges import RangeLookup, find_reference_range
from dermtrial.services.subjects import SubjectContext, load_subject
from dermtrial.services.uow import unit_of_work
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
    sex, birth_year = _demographics(session, ctx)
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
    day = on_or_before.isoformat()
    dated = [(str(r.collected_local)[:10], r.id, r) for r in rows if r.collected_local]
    wanted = [item for item in dated if (item[0] == day if same_day else item[0] <= day)]
    return max(wanted, key=lambda item: (item[0], item[1]))[2] if wanted else None


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
    check_local(collected_local, field="collected_local")
    if not value.is_finite() or value < 0:
        raise invalid("value", value, f"{value} is not allowed: a number ≥ 0")
    with unit_of_work(db, actor=actor, now=now, reason="laboratory result") as work:
        ctx = load_subject(work, subject_id, "form.write")
        tests = {t.code: t for t in ctx.protocol.safety.lab_tests}
        test = tests.get(test_code)
        if test is None:
            raise invalid("test_code", test_code, f'"{test_code}" is not allowed: one of {", ".join(tests)}')
        if (message := check_unit(test, unit)) is not None:
            raise invalid("unit", unit, message)
        session = work.session
        ensure_unlocked(session, locate(session, "visit" if visit_id else "subject", visit_id or subject_id))
        collected = dt.date.fromisoformat(collected_local[:10])
        lookup = _range(session, ctx, test, collected)
        lln, uln = _in_unit(test, lookup.lower, lookup.unit, unit), _in_unit(test, lookup.upper, lookup.unit, unit)
        first = first_treatment_date(session, subject_id)
        after_start = first is not None and collected > first
        before = _earlier(session, subject_id, test.code, first, same_day=False) if first and after_start else None
        baseline = _in_unit(test, before.si_value, before.si_unit, unit) if before is not None else None
        if test.code == "CA" and albumin_g_per_l is None:
            albumin = _earlier(session, subject_id, "ALB", collected, same_day=True)
            albumin_g_per_l = albumin.si_value if albumin is not None else None
        grading: LabGrade | None = None
        alerts: list[LabAlert] = []
        if criteria().terms_for(test.code):
            settings = ctx.protocol.settings

            def graded(number: Decimal, base: Decimal | None, albumin: Decimal | None) -> LabGrade:
                return grade_lab(
                    test,
                    number,
                    unit,
                    lln=lln,
                    uln=uln,
                    baseline=base,
                    albumin_g_per_l=albumin,
                    calcium_correction_name=settings.calcium_correction,
                    hemoglobin_increased_reference=settings.hemoglobin_increased_reference,
                )

            grading = graded(value, baseline, albumin_g_per_l)
            baseline_grading = graded(baseline, None, None) if baseline is not None else None
            alerts = lab_alerts(grading, baseline_grading, _alert_threshold(ctx.protocol))
        si_value = value * conversion(test, unit, test.si_unit).factor
        record = LabResult(
            subject_id=subject_id,
            visit_id=visit_id,
            test_code=test.code,
            value_text=str(value),
            value=value,
            unit=unit,
            si_value=si_value,
            si_unit=test.si_unit,
            reference_range_id=lookup.range_id,
            grade=None if grading is None else worst_grade(grading),
            grading_version=None if grading is None else grading.version,
            collected_local=collected_local,
            collected_tz=ctx.site.timezone,
        )
        work.add(record, **ctx.place())
        if grading is not None:
            detail = grading.to_json()
            if lookup.reason:
                detail["reference_range"] = lookup.reason
            work.record(
                "derivation",
                entity_type="lab_result",
                entity_id=str(record.id),
                field="ctcae",
                new=detail,
                **ctx.place(),
            )
        for alert in alerts:
            work.record(
                "safety-alert",
                entity_type="lab_result",
                entity_id=str(record.id),
                field=alert.kind,
                new={"term": alert.term, "grade": alert.grade, "message": alert.message},
                **ctx.place(),
            )
        return LabRecorded(record.id, grading, record.grade, tuple(alerts), lookup.reason)
