"""The analysis table's rules on hand-made assessments (pure, no database): study day, baseline, analysis windows at
their edges, the tie-break, change and percent improvement with their "not computable" reasons."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dermtrial.analysis.adam import analysis_windows, derive_adam
from dermtrial.analysis.study_tables import StudyTables, pasi_input
from dermtrial.protocol.builtin import load_builtin
from dermtrial.protocol.model import Protocol

PROTOCOL = load_builtin("NCT03392311")
FIRST = dt.date(2019, 8, 1)


def _day(study_day: int) -> dt.date:
    return FIRST + dt.timedelta(days=study_day - 1 if study_day > 0 else study_day)


def _adam(
    rows: list[tuple[str, str, int, float]], first: dt.date | None = FIRST, protocol: Protocol = PROTOCOL
) -> pl.DataFrame:
    assessments = pl.DataFrame(
        [{"subject": s, "parameter": p, "visit": "x", "assessment_date": _day(d), "value": v} for s, p, d, v in rows],
        schema={"subject": pl.String, "parameter": pl.String, "visit": pl.String, "assessment_date": pl.Date,
                "value": pl.Float64},
    )  # fmt: skip
    subjects = sorted({r[0] for r in rows})
    first_dates = pl.DataFrame({"subject": subjects, "first_treatment_date": [first] * len(subjects)},
                               schema={"subject": pl.String, "first_treatment_date": pl.Date})  # fmt: skip
    return derive_adam(assessments, first_dates, protocol)


@pytest.mark.requirement("CLIN-WIN-01")
def test_week12_window_is_days_82_to_88_from_the_endpoint() -> None:
    week12 = next(w for w in analysis_windows(PROTOCOL) if w.visit == "week12")
    assert (week12.target, week12.low, week12.high) == (85, 82, 88)


@pytest.mark.requirement("CLIN-WIN-01", "CLIN-SCHED-01")
def test_study_day_has_no_day_0_and_window_edges_on_both_sides() -> None:
    rows = [("S", "pasi", day, 10.0) for day in (-1, 1, 81, 82)] + [("T", "pasi", day, 10.0) for day in (1, 88, 89)]
    adam = _adam(rows)
    got = [(r["subject"], r["study_day"], r["analysis_visit"], r["window"]) for r in adam.to_dicts()]
    assert got == [
        ("S", -1, None, "pre"),  # the day before day 1
        ("S", 1, "baseline", "baseline"),  # the last on or before the first treatment date
        ("S", 81, None, "out"),  # one day before the week-12 window
        ("S", 82, "week12", "in"),  # its first day
        ("T", 1, "baseline", "baseline"),
        ("T", 88, "week12", "in"),  # its last day
        ("T", 89, None, "out"),  # one day after
    ]


def test_two_assessments_equally_close_to_the_target_the_earlier_is_analysed() -> None:
    adam = _adam([("S", "pasi", 1, 20.0), ("S", "pasi", 84, 8.0), ("S", "pasi", 86, 6.0)])
    flags = {r["study_day"]: r["analysis_flag"] for r in adam.to_dicts()}
    assert flags == {1: True, 84: True, 86: False}
    later = PROTOCOL.model_copy(
        update={"settings": PROTOCOL.settings.model_copy(update={"visit_window_tie_break": "later"})}
    )
    flags = {r["study_day"]: r["analysis_flag"] for r in _adam([("S", "pasi", 84, 8.0), ("S", "pasi", 86, 6.0)],
                                                               protocol=later).to_dicts()}  # fmt: skip
    assert flags == {84: False, 86: True}


def test_the_closest_to_the_target_wins_over_an_earlier_one() -> None:
    adam = _adam([("S", "pasi", 1, 20.0), ("S", "pasi", 83, 8.0), ("S", "pasi", 86, 6.0)])
    assert {r["study_day"]: r["analysis_flag"] for r in adam.to_dicts()} == {1: True, 83: False, 86: True}


@pytest.mark.requirement("CLIN-BASELINE-01")
def test_baseline_is_the_last_before_treatment_and_the_same_date_takes_the_later_entry() -> None:
    adam = _adam([("S", "pasi", -5, 30.0), ("S", "pasi", 1, 22.0), ("S", "pasi", 1, 21.0), ("S", "pasi", 85, 7.0)])
    week12 = adam.filter(pl.col("study_day") == 85).row(0, named=True)
    assert (week12["baseline"], week12["change"], week12["percent_improvement"]) == (21.0, -14.0, 100 * 14 / 21)


@pytest.mark.requirement("CLIN-ANA-02", "CLIN-RESP-01")
def test_not_computable_improvements_carry_their_reason() -> None:
    zero = _adam([("S", "pasi", 1, 0.0), ("S", "pasi", 85, 2.0)]).row(1, named=True)
    assert (zero["percent_improvement"], zero["percent_improvement_reason"], zero["change"]) == (
        None, "baseline is 0", 2.0,
    )  # fmt: skip
    none = _adam([("S", "pasi", 85, 2.0)]).row(0, named=True)
    assert (none["percent_improvement"], none["percent_improvement_reason"]) == (None, "no baseline")
    spga = _adam([("S", "spga", 1, 3.0), ("S", "spga", 85, 1.0)]).row(1, named=True)
    assert (spga["change"], spga["percent_improvement"]) == (-2.0, None)
    assert spga["percent_improvement_reason"] == "not defined for an ordinal category"
    untreated = _adam([("S", "pasi", 1, 10.0)], first=None).row(0, named=True)
    assert (untreated["study_day"], untreated["window"], untreated["analysis_flag"]) == (
        None, "no first treatment", False,
    )  # fmt: skip


@given(
    baseline=st.integers(min_value=1, max_value=720),
    value=st.integers(min_value=0, max_value=720),
    day=st.integers(min_value=2, max_value=200),
)
def test_improvement_is_exact_at_most_100_and_the_study_day_never_0(baseline: int, value: int, day: int) -> None:
    adam = _adam([("S", "pasi", 1, baseline / 10), ("S", "pasi", day, value / 10)])
    row = adam.row(1, named=True)
    assert row["study_day"] == day
    assert row["percent_improvement"] == (baseline - value) * 100 / baseline  # one rounding, from exact integers
    assert row["percent_improvement"] <= 100


def test_primary_input_keeps_the_last_entry_of_a_date_and_lists_a_subject_without_pasi() -> None:
    empty = pl.DataFrame()
    adsl = pl.DataFrame(
        {"subject": ["S", "T", "U"], "first_treatment_date": [FIRST, FIRST, None], "in_fas": [True, True, False]}
    )
    tables = StudyTables(adsl, empty, empty, empty, empty, empty, empty, empty, empty, empty, "safety", "fas")
    assessments = pl.DataFrame(
        {
            "subject": ["S", "S", "S", "U"],
            "parameter": ["pasi", "pasi", "pasi", "pasi"],
            "assessment_date": [FIRST, FIRST, _day(85), FIRST],
            "value": [21.9, 22.0, 5.4, 10.0],  # S entered twice on day 1: 22.0 (the later entry) counts
        }
    )
    rows = pasi_input(tables, assessments).rows()
    assert rows == [
        ("S", FIRST, FIRST, 220),
        ("S", FIRST, _day(85), 54),
        ("T", FIRST, None, None),  # in the FAS, no PASI at all: listed, not evaluable
    ]  # U is not in the FAS
