"""Laboratory reference ranges per site laboratory, test, sex and age band, with effective dates.

A range applies to one site's results of one test (a code of the protocol's ``safety.lab_tests``), for one sex or
both (``sex`` None), for an age band in whole years (either bound open), from ``effective_from`` to
``effective_to`` (inclusive; open while current). Two ranges of a site and test that could both apply to one
result (sexes, age bands and dates all overlap) are refused, so :func:`reference_range_for` finds at most one.
A range is replaced by ending it (:func:`end_reference_range`) and adding the next; one entered in error is voided.
Kept by ``reference-range.manage`` at the site; read by ``subject.read``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermtrial.eligibility import labs
from dermtrial.errors import InvalidInput, Problem
from dermtrial.protocol.model import LabTest
from dermtrial.services.access import Actor, find_site
from dermtrial.services.errors import Conflict, NotFound, invalid
from dermtrial.services.locks import ensure_study_unlocked
from dermtrial.services.records import check_text, problem, refuse
from dermtrial.services.studies import only_study
from dermtrial.services.uow import reading, unit_of_work
from dermtrial.store.engine import Database, batch_memo
from dermtrial.store.models import ReferenceRange, Site, Study

SEXES = ("M", "F")
MAX_AGE = 150


def _lab_test(session: Session, study_id: int, code: str) -> LabTest:
    study = session.get_one(Study, study_id)
    tests = study.protocol_snapshot.get("safety", {}).get("lab_tests", [])
    for test in tests:
        if test["code"] == code:
            return LabTest.model_validate(test)
    known = ", ".join(test["code"] for test in tests) or "none"
    raise refuse("test_code", code, f"not a laboratory test of the protocol: expected one of {known}")


def _decimal(field: str, value: Decimal | str | int | None, problems: list[Problem]) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        problems.append(problem(field, value, "a limit is a number"))
        return None
    return number


def _check_band(
    sex: str | None,
    ages: tuple[int | None, int | None],
    limits: tuple[Decimal | None, Decimal | None],
    start: dt.date,
    end: dt.date | None,
    problems: list[Problem],
) -> None:
    age_min, age_max = ages
    lower, upper = limits
    if sex is not None and sex not in SEXES:
        problems.append(problem("sex", sex, "expected M, F or none (both sexes)"))
    for name, age in (("age_min_years", age_min), ("age_max_years", age_max)):
        if age is not None and not 0 <= age <= MAX_AGE:
            problems.append(problem(name, age, f"an age is within 0–{MAX_AGE} years"))
    if age_min is not None and age_max is not None and age_min > age_max:
        problems.append(problem("age_max_years", age_max, f"must be at least age_min_years {age_min}"))
    if lower is None and upper is None:
        problems.append(problem("lower", None, "a range needs a lower limit, an upper limit or both"))
    if lower is not None and upper is not None and lower > upper:
        problems.append(problem("upper", _plain(upper), f"must be at least the lower limit {_plain(lower)}"))
    if end is not None and end < start:
        problems.append(problem("effective_to", end.isoformat(), f"must be on or after effective_from {start}"))


def _overlap(a_low: int | None, a_high: int | None, b_low: int | None, b_high: int | None) -> bool:
    return (a_high is None or b_low is None or b_low <= a_high) and (b_high is None or a_low is None or a_low <= b_high)


def _date_overlap(a: ReferenceRange, start: dt.date, end: dt.date | None) -> bool:
    return (a.effective_to is None or start <= a.effective_to) and (end is None or a.effective_from <= end)


def describe(r: ReferenceRange) -> str:
    """``range 3: ALT F 18-64 y, 7–40 U/L, from 2026-01-01 to open``."""
    low = r.age_min_years if r.age_min_years is not None else 0
    ages = f"{low}-{r.age_max_years if r.age_max_years is not None else ''}"
    limits = f"{_plain(r.lower)}–{_plain(r.upper)} {r.unit}"
    return (
        f"range {r.id}: {r.test_code} {r.sex or 'M/F'} {ages} y, {limits}, from {r.effective_from} to "
        f"{r.effective_to or 'open'}"
    )


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def add_reference_range(
    db: Database,
    actor: Actor,
    *,
    site_code: str,
    laboratory: str,
    test_code: str,
    unit: str,
    lower: Decimal | str | int | None,
    upper: Decimal | str | int | None,
    effective_from: dt.date,
    now: dt.datetime,
    sex: str | None = None,
    age_min_years: int | None = None,
    age_max_years: int | None = None,
    effective_to: dt.date | None = None,
    study_id: int | None = None,
) -> int:
    """Add a reference range of a site laboratory; refuses bad values and overlaps. Returns its id."""
    problems: list[Problem] = []
    low, high = _decimal("lower", lower, problems), _decimal("upper", upper, problems)
    _check_band(sex, (age_min_years, age_max_years), (low, high), effective_from, effective_to, problems)
    laboratory = check_text("laboratory", laboratory, what="the laboratory's name", limit=200)
    if problems:
        raise InvalidInput(problems)
    study_id = study_id if study_id is not None else only_study(db)
    with unit_of_work(db, actor=actor, now=now) as work:
        site = find_site(work.session, study_id, site_code)
        work.require("reference-range.manage", site.id)
        ensure_study_unlocked(work.session, study_id)
        message = labs.check_unit(_lab_test(work.session, study_id, test_code), unit)
        if message is not None:
            raise invalid("unit", unit, message)
        for other in _ranges(work.session, site.id, test_code):
            if (
                (sex is None or other.sex is None or other.sex == sex)
                and _overlap(age_min_years, age_max_years, other.age_min_years, other.age_max_years)
                and _date_overlap(other, effective_from, effective_to)
            ):
                raise Conflict(
                    f"the range overlaps {describe(other)}; end that range first or narrow this one",
                    path=("effective_from",),
                    value=effective_from.isoformat(),
                )
        row = ReferenceRange(
            site_id=site.id,
            laboratory=laboratory,
            test_code=test_code,
            sex=sex,
            age_min_years=age_min_years,
            age_max_years=age_max_years,
            lower=low,
            upper=high,
            unit=unit,
            effective_from=effective_from,
            effective_to=effective_to,
        )
        work.add(row, study_id=study_id, site_code=site.code)
        return row.id


def _ranges(session: Session, site_id: int, test_code: str) -> list[ReferenceRange]:
    """The site's ranges for the test, in the order they apply (read once per batch: see store.engine.batch_memo)."""
    memo, key = batch_memo(session), ("reference_ranges", site_id, test_code)
    if memo is not None and key in memo:
        return list(memo[key])
    query = select(ReferenceRange).where(
        ReferenceRange.site_id == site_id, ReferenceRange.test_code == test_code, ReferenceRange.voided.is_(False)
    )
    found = list(session.scalars(query.order_by(ReferenceRange.effective_from, ReferenceRange.id)))
    if memo is not None:
        memo[key] = tuple(found)
    return found


def _stored(session: Session, range_id: int) -> tuple[ReferenceRange, Site]:
    row = session.get(ReferenceRange, range_id)
    if row is None:
        raise NotFound(f"no reference range {range_id}", path=("range_id",), value=range_id)
    return row, session.get_one(Site, row.site_id)


def end_reference_range(
    db: Database,
    actor: Actor,
    *,
    range_id: int,
    effective_to: dt.date,
    reason: str,
    expected_version: int,
    now: dt.datetime,
) -> None:
    """Set the last day a range applies (to replace it by a new one from the next day)."""
    reason = check_text("reason", reason, what="a reason for ending the range")
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        row, site = _stored(work.session, range_id)
        work.require("reference-range.manage", site.id)
        ensure_study_unlocked(work.session, site.study_id)
        if effective_to < row.effective_from:
            raise refuse("effective_to", effective_to.isoformat(), f"must be on or after {row.effective_from}")
        if row.effective_to is not None and effective_to > row.effective_to:
            raise refuse("effective_to", effective_to.isoformat(), f"the range already ends on {row.effective_to}")
        work.change(
            row,
            {"effective_to": effective_to},
            expected_version=expected_version,
            study_id=site.study_id,
            site_code=site.code,
        )


def void_reference_range(
    db: Database, actor: Actor, *, range_id: int, reason: str, expected_version: int, now: dt.datetime
) -> None:
    """Void a range entered in error (kept, marked void, with the reason)."""
    reason = check_text("reason", reason, what="a reason for voiding the range")
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        row, site = _stored(work.session, range_id)
        work.require("reference-range.manage", site.id)
        ensure_study_unlocked(work.session, site.study_id)
        work.void(row, expected_version=expected_version, reason=reason, study_id=site.study_id, site_code=site.code)


@dataclass(frozen=True)
class RangeLookup:
    """The range that applies to a result, or None with the reason (a result without a range is not graded)."""

    range_id: int | None
    laboratory: str | None
    lower: Decimal | None
    upper: Decimal | None
    unit: str | None
    reason: str | None = None

    @property
    def found(self) -> bool:
        """True when a range applies."""
        return self.range_id is not None

    def as_core(self) -> labs.ReferenceRange | None:
        """The range as the eligibility core takes it (None when there is none)."""
        if self.range_id is None or self.unit is None:
            return None
        return labs.ReferenceRange(self.lower, self.upper, self.unit, source=f"site laboratory {self.laboratory}")


def find_reference_range(
    session: Session, site: Site, test_code: str, sex: str | None, age_years: int, on_date: dt.date
) -> RangeLookup:
    """The one range of the site's laboratory for the test, sex, age and date, or a lookup saying why there is none."""
    for row in _ranges(session, site.id, test_code):
        if (
            (row.sex is None or row.sex == sex)
            and (row.age_min_years is None or row.age_min_years <= age_years)
            and (row.age_max_years is None or age_years <= row.age_max_years)
            and row.effective_from <= on_date
            and (row.effective_to is None or on_date <= row.effective_to)
        ):
            return RangeLookup(row.id, row.laboratory, row.lower, row.upper, row.unit)
    return RangeLookup(
        None,
        None,
        None,
        None,
        None,
        reason=f"site {site.code} has no {test_code} range for sex {sex or 'unknown'} aged {age_years} on {on_date}",
    )


def reference_range_for(
    db: Database,
    actor: Actor,
    *,
    site_code: str,
    test_code: str,
    sex: str | None,
    age_years: int,
    on_date: dt.date,
    study_id: int | None = None,
) -> RangeLookup:
    """The reference range that applies to a result of ``test_code`` at the site (``subject.read`` there)."""
    if sex is not None and sex not in SEXES:
        raise refuse("sex", sex, "expected M, F or none")
    if not 0 <= age_years <= MAX_AGE:
        raise refuse("age_years", age_years, f"an age is within 0–{MAX_AGE} years")
    study_id = study_id if study_id is not None else only_study(db)
    with reading(db, actor=actor) as ctx:
        site = find_site(ctx.session, study_id, site_code)
        ctx.require("subject.read", site.id)
        _lab_test(ctx.session, study_id, test_code)
        return find_reference_range(ctx.session, site, test_code, sex, age_years, on_date)
