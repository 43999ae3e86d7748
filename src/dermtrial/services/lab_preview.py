"""The lab entry screen's reads: the CTCAE grade a result *would* get, before it is saved, and the results of a visit.

:func:`preview_lab_grade` looks up the same things :func:`dermtrial.services.safety_labs.record_lab_result` uses (the
site's reference range for the subject's sex and age, the baseline result before day 1, the same-day albumin for
calcium) and grades with the same core (:func:`dermtrial.safety.grade_lab`); nothing is stored. A test checks that the
preview equals the grade stored by ``record_lab_result`` for the same result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from dermtrial.eligibility.labs import allowed_units, check_unit, conversion
from dermtrial.protocol.model import LabTest
from dermtrial.safety import criteria
from dermtrial.services.access import Actor
from dermtrial.services.errors import invalid
from dermtrial.services.forms import study_protocol
from dermtrial.services.local_time import check_local
from dermtrial.services.overview import _subject
from dermtrial.services.safety_labs import _earlier, _in_unit, _range, grade_in_protocol, worst_grade
from dermtrial.services.subjects import SubjectContext
from dermtrial.services.uow import reading
from dermtrial.services.visits import first_treatment_date
from dermtrial.store.engine import Database
from dermtrial.store.models import LabResult, Site, Subject


@dataclass(frozen=True)
class LabPreview:
    """The grade a result would get: worst grade, each term, the reference range used and the SI value."""

    test_code: str
    grade: int | None
    terms: list[dict[str, Any]]
    lln: Decimal | None
    uln: Decimal | None
    unit: str
    range_reason: str | None
    si_value: Decimal
    si_unit: str
    version: str | None

    def to_json(self) -> dict[str, Any]:
        """The API representation (decimals as text, exact)."""
        return {
            "test_code": self.test_code,
            "grade": self.grade,
            "terms": self.terms,
            "lln": _plain(self.lln),
            "uln": _plain(self.uln),
            "unit": self.unit,
            "range_reason": self.range_reason,
            "si_value": _plain(self.si_value),
            "si_unit": self.si_unit,
            "version": self.version,
        }


def _plain(value: Decimal | None) -> str | None:
    """A decimal as plain text without trailing zeros (``125``, not ``125.000000`` as PostgreSQL returns it)."""
    return None if value is None else format(value.normalize(), "f")


def lab_tests(db: Database, actor: Actor, *, subject_id: int) -> list[tuple[LabTest, list[str]]]:
    """The protocol's safety lab tests with the units a site may enter (``subject.read``)."""
    with reading(db, actor=actor) as ctx:
        _subject(ctx.session, actor, subject_id)
        protocol = study_protocol(ctx.session, ctx.session.get_one(Subject, subject_id).study_id)
        return [(test, allowed_units(test)) for test in protocol.safety.lab_tests]


def preview_lab_grade(
    db: Database, actor: Actor, *, subject_id: int, test_code: str, value: Decimal, unit: str, collected_local: str
) -> LabPreview:
    """The CTCAE grade of a result as :func:`record_lab_result` would store it (``subject.read``; nothing stored)."""
    check_local(collected_local, field="collected_local")
    if not value.is_finite() or value < 0:
        raise invalid("value", value, f"{value} is not allowed: a number ≥ 0")
    with reading(db, actor=actor) as read:
        session = read.session
        _subject(session, actor, subject_id)  # 404 for another site's subject
        subject = session.get_one(Subject, subject_id)
        ctx = SubjectContext(subject, session.get_one(Site, subject.site_id), study_protocol(session, subject.study_id))
        tests = {t.code: t for t in ctx.protocol.safety.lab_tests}
        test = tests.get(test_code)
        if test is None:
            raise invalid("test_code", test_code, f'"{test_code}" is not allowed: one of {", ".join(tests)}')
        if (message := check_unit(test, unit)) is not None:
            raise invalid("unit", unit, message)
        collected = dt.date.fromisoformat(collected_local[:10])
        lookup = _range(session, ctx, test, collected)
        lln, uln = _in_unit(test, lookup.lower, lookup.unit, unit), _in_unit(test, lookup.upper, lookup.unit, unit)
        first = first_treatment_date(session, subject_id)
        after_start = first is not None and collected > first
        before = _earlier(session, subject_id, test.code, first, same_day=False) if first and after_start else None
        baseline = _in_unit(test, before.si_value, before.si_unit, unit) if before is not None else None
        albumin_g_per_l = None
        if test.code == "CA":
            albumin = _earlier(session, subject_id, "ALB", collected, same_day=True)
            albumin_g_per_l = albumin.si_value if albumin is not None else None
        si_value = value * conversion(test, unit, test.si_unit).factor
        if not criteria().terms_for(test.code):
            return LabPreview(test.code, None, [], lln, uln, unit, lookup.reason, si_value, test.si_unit, None)
        grading = grade_in_protocol(test, value, unit, ctx.protocol.settings, lln=lln, uln=uln, baseline=baseline,
                                    albumin_g_per_l=albumin_g_per_l)  # fmt: skip
        terms = [
            {"term": g.term, "grade": g.grade, "reason": g.reason, "value_only": g.value_only} for g in grading.grades
        ]
        return LabPreview(
            test.code,
            worst_grade(grading),
            terms,
            lln,
            uln,
            unit,
            lookup.reason,
            si_value,
            test.si_unit,
            grading.version,
        )


@dataclass(frozen=True)
class LabRow:
    """A stored result as listed on the visit's lab page."""

    id: int
    test_code: str
    value_text: str
    unit: str | None
    grade: int | None
    collected_local: str | None


def visit_lab_results(db: Database, actor: Actor, *, subject_id: int, visit_id: int) -> list[LabRow]:
    """The results recorded for one visit of a subject (``subject.read``), in entry order."""
    with reading(db, actor=actor) as ctx:
        _subject(ctx.session, actor, subject_id)
        rows = ctx.session.scalars(
            select(LabResult)
            .where(LabResult.subject_id == subject_id, LabResult.visit_id == visit_id, LabResult.voided.is_(False))
            .order_by(LabResult.id)
        )
        return [LabRow(r.id, r.test_code, r.value_text, r.unit, r.grade, r.collected_local) for r in rows]
