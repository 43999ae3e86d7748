"""Reference ranges per site laboratory, test, sex and age band with effective dates; overlaps refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.services import Conflict, NotFound, PermissionDenied
from dermtrial.services.locks import RecordLocked, confirm_study_lock, request_study_lock
from dermtrial.services.reference_ranges import (
    add_reference_range,
    end_reference_range,
    reference_range_for,
    void_reference_range,
)
from dermtrial.store.models import ReferenceRange
from tests.conftest import NOW, StudySetup
from tests.services.helpers import audit_count, count, events
from tests.services.review_setup import ReviewSetup, make_review

JAN_1, JUN_30, JUL_1 = dt.date(2026, 1, 1), dt.date(2026, 6, 30), dt.date(2026, 7, 1)


@pytest.fixture
def review(study: StudySetup) -> ReviewSetup:
    return make_review(study)


def _add(review: ReviewSetup, who: str = "li", **values: Any) -> int:
    spec: dict[str, Any] = {
        "site_code": "GZ01",
        "laboratory": "Guangzhou central lab",
        "test_code": "ALT",
        "unit": "U/L",
        "lower": "7",
        "upper": "40",
        "effective_from": JAN_1,
    }
    spec.update(values)
    return add_reference_range(review.db, getattr(review, who), now=NOW, **spec)


def _lookup(review: ReviewSetup, sex: str | None, age: int, on: dt.date, test: str = "ALT") -> int | None:
    found = reference_range_for(
        review.db, review.mo, site_code="GZ01", test_code=test, sex=sex, age_years=age, on_date=on
    )
    return found.range_id


def test_the_lookup_finds_the_range_for_sex_age_band_and_date(review: ReviewSetup) -> None:
    women = _add(review, sex="F", age_min_years=18, age_max_years=64, upper="35", effective_to=JUN_30)
    men = _add(review, sex="M", age_min_years=18, age_max_years=64, upper="45", effective_to=JUN_30)
    elderly = _add(review, sex=None, age_min_years=65, upper="33")
    women_new = _add(review, sex="F", age_min_years=18, age_max_years=64, upper="33", effective_from=JUL_1)
    cases = [
        ("F", 40, JUN_30, women),  # last day of the first range
        ("F", 40, JUL_1, women_new),  # first day of its successor
        ("M", 64, JAN_1, men),  # upper age bound is inclusive
        ("M", 65, JAN_1, elderly),  # both sexes from 65
        ("F", 65, JUL_1, elderly),
        ("M", 40, JUL_1, None),  # men's range ended, none after it
        ("F", 17, JAN_1, None),  # below every band
        ("F", 40, dt.date(2025, 12, 31), None),  # before the first range
    ]
    assert [(sex, age, on, _lookup(review, sex, age, on)) for sex, age, on, _ in cases] == cases
    found = reference_range_for(
        review.db, review.mo, site_code="GZ01", test_code="ALT", sex="F", age_years=40, on_date=JAN_1
    )
    assert (found.found, found.lower, found.upper, found.unit) == (True, Decimal(7), Decimal(35), "U/L")
    core = found.as_core()
    assert core is not None
    assert (core.lln, core.uln, core.unit) == (Decimal(7), Decimal(35), "U/L")
    missing = reference_range_for(
        review.db, review.mo, site_code="GZ01", test_code="ALT", sex="M", age_years=40, on_date=JUL_1
    )
    assert (missing.found, missing.as_core()) == (False, None)
    assert missing.reason == "site GZ01 has no ALT range for sex M aged 40 on 2026-07-01"


def test_overlapping_ranges_are_refused_naming_the_range_they_overlap(review: ReviewSetup) -> None:
    first = _add(review, sex=None, age_min_years=18, age_max_years=64, effective_to=JUN_30)
    overlaps = [
        {"sex": "F", "age_min_years": 30, "age_max_years": 40},  # one sex inside a both-sexes range
        {"sex": None, "age_min_years": 64, "age_max_years": 80},  # shares the age 64
        {"sex": None, "age_min_years": 18, "effective_from": JUN_30},  # shares the day 30 June
    ]
    before = (audit_count(review.db), count(review.db, ReferenceRange))
    for values in overlaps:
        with pytest.raises(Conflict) as caught:
            _add(review, **values)
        assert f"the range overlaps range {first}: ALT M/F 18-64 y, 7–40 U/L, from 2026-01-01 to 2026-06-30" in str(
            caught.value
        )
    assert (audit_count(review.db), count(review.db, ReferenceRange)) == before
    _add(review, sex=None, age_min_years=65)  # the next age band
    _add(review, sex=None, age_min_years=18, age_max_years=64, effective_from=JUL_1)  # the next period
    _add(review, site_code="SH02", sex=None, who="co2")  # another site's laboratory


def test_a_range_is_ended_then_replaced_and_one_entered_in_error_is_voided(review: ReviewSetup) -> None:
    first = _add(review)
    end_reference_range(
        review.db, review.li, range_id=first, effective_to=JUN_30, reason="new analyser", expected_version=1, now=NOW
    )
    wrong = _add(review, effective_from=JUL_1, upper="400")
    void_reference_range(review.db, review.li, range_id=wrong, reason="typed 400 for 40", expected_version=1, now=NOW)
    fixed = _add(review, effective_from=JUL_1)
    assert _lookup(review, "F", 40, JUL_1) == fixed
    assert [(e["field"], e["reason"]) for e in events(review.db, entity_type="reference_range") if e["field"]] == [
        ("effective_to", "new analyser"),
        ("voided", "typed 400 for 40"),
        ("void_reason", "typed 400 for 40"),
    ]


def test_refusals_name_what_was_wrong_and_write_nothing(review: ReviewSetup) -> None:
    first = _add(review)
    review.staff("mo", "co2", "dm1", "dm2")
    attempts = [
        (
            lambda: _add(review, test_code="XYZ"),
            InvalidInput,
            'test_code: "XYZ" is not allowed: not a laboratory test of the protocol: expected one of CA, ALB, ALT',
        ),
        (
            lambda: _add(review, unit="mg/dL"),
            InvalidInput,
            'unit: "mg/dL" is not allowed: ALT results are reported in U/L',
        ),
        (lambda: _add(review, sex="X"), InvalidInput, 'sex: "X" is not allowed: expected M, F or none'),
        (
            lambda: _add(review, lower="50", upper="40"),
            InvalidInput,
            'upper: "40" is not allowed: must be at least the lower limit 50',
        ),
        (
            lambda: _add(review, lower=None, upper=None),
            InvalidInput,
            "lower: none is not allowed: a range needs a lower limit, an upper limit or both",
        ),
        (lambda: _add(review, lower="seven"), InvalidInput, 'lower: "seven" is not allowed: a limit is a number'),
        (
            lambda: _add(review, age_min_years=70, age_max_years=60),
            InvalidInput,
            "age_max_years: 60 is not allowed: must be at least age_min_years 70",
        ),
        (
            lambda: _add(review, effective_to=dt.date(2025, 1, 1)),
            InvalidInput,
            'effective_to: "2025-01-01" is not allowed: must be on or after effective_from 2026-01-01',
        ),
        (lambda: _add(review, who="mo"), PermissionDenied, 'user "mo" may not reference-range.manage at site GZ01'),
        (lambda: _add(review, who="co2"), PermissionDenied, 'user "co2" may not reference-range.manage at site GZ01'),
        (lambda: _add(review, site_code="ZZ9"), NotFound, 'no site "ZZ9"'),
        (
            lambda: end_reference_range(
                review.db, review.li, range_id=first, effective_to=JUN_30, reason="", expected_version=1, now=NOW
            ),
            InvalidInput,
            "reason: a reason for ending the range is required",
        ),
        (
            lambda: end_reference_range(
                review.db, review.li, range_id=first, effective_to=JUN_30, reason="x", expected_version=3, now=NOW
            ),
            Conflict,
            "you edited version 3, it is now version 1",
        ),
    ]
    before = (audit_count(review.db), count(review.db, ReferenceRange))
    for attempt, error, message in attempts:
        with pytest.raises(error) as caught:
            attempt()
        assert message in str(caught.value)
    assert (audit_count(review.db), count(review.db, ReferenceRange)) == before
    request_study_lock(review.db, review.dm1, reason="final", now=NOW)
    confirm_study_lock(review.db, review.dm2, now=NOW)
    with pytest.raises(RecordLocked, match="the study is locked"):
        _add(review, effective_from=JUL_1)
