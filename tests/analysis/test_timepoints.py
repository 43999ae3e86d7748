"""Study day, baseline and week-12 selection: window edges on both sides, ties to the earlier, baseline on day 1."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dermtrial.analysis import analyse_pasi
from dermtrial.analysis.timepoints import cdisc_study_day, study_day_expr, window_for
from tests.analysis._study import FIRST, PROTOCOL, analyse, date_of, frame, subject_row


@pytest.mark.parametrize(
    ("day", "study_day"),
    [
        (dt.date(2019, 8, 1), 1),  # the first treatment date is day 1
        (dt.date(2019, 8, 2), 2),
        (dt.date(2019, 7, 31), -1),  # the day before is −1: there is no day 0
        (dt.date(2019, 7, 30), -2),
        (dt.date(2019, 10, 24), 85),  # week 12 target: first treatment + 84 days
    ],
)
def test_cdisc_study_day_has_no_day_zero(day: dt.date, study_day: int) -> None:
    got = pl.select(study_day_expr(pl.lit(FIRST), pl.lit(day))).item()
    assert got == study_day
    assert cdisc_study_day((day - FIRST).days) == study_day


def test_window_is_read_from_the_protocol_endpoint_and_visit() -> None:
    window = window_for(PROTOCOL)
    assert (window.visit_id, window.target_offset_days, window.before, window.after) == ("week12", 84, 3, 3)
    assert (window.first_study_day, window.target_study_day, window.last_study_day) == (82, 85, 88)


def test_a_protocol_variant_window_changes_the_selection_without_code() -> None:
    endpoints = [
        e.model_copy(update={"window": e.window.model_copy(update={"before": 5})})
        if e.id == "pasi_improvement" and e.window is not None
        else e
        for e in PROTOCOL.endpoints
    ]
    variant = PROTOCOL.model_copy(update={"endpoints": endpoints})
    assert window_for(variant).first_study_day == 80


@pytest.mark.parametrize(
    ("study_day", "inside"),
    [
        (81, False),  # one day before the window opens
        (82, True),  # first day of the window (target − 3)
        (85, True),  # the target
        (88, True),  # last day of the window (target + 3)
        (89, False),  # one day after the window closes
    ],
)
def test_week12_window_edges_82_and_88_inside_81_and_89_outside(study_day: int, inside: bool) -> None:
    result = analyse(frame([("S01", FIRST, [(1, "20.0"), (study_day, "5.0")])]))
    row = subject_row(result, "S01")
    assert (row["week12_study_day"] == study_day) is inside
    assert (row["improvement_percent"] == 75.0) is inside
    assert (row["week12"] is None) is not inside


def test_closest_to_the_target_wins() -> None:
    result = analyse(frame([("S01", FIRST, [(1, "20.0"), (82, "9.0"), (86, "5.0"), (88, "1.0")])]))
    assert subject_row(result, "S01")["week12_study_day"] == 86


@pytest.mark.parametrize(("early", "late"), [(84, 86), (83, 87), (82, 88)])
def test_two_equally_close_values_the_earlier_wins(early: int, late: int) -> None:
    result = analyse(frame([("S01", FIRST, [(1, "20.0"), (late, "1.0"), (early, "9.0")])]))
    row = subject_row(result, "S01")
    assert (row["week12_study_day"], row["week12"]) == (early, 9.0)
    marked = result.pasi.filter(pl.col("analysis_visit") == "week12")
    assert marked.select("study_day", "pasi").rows() == [(early, 9.0)]


def test_baseline_is_the_last_on_or_before_day_1() -> None:
    result = analyse(frame([("S01", FIRST, [(-20, "30.0"), (-1, "25.0"), (1, "20.0"), (2, "18.0"), (85, "5.0")])]))
    row = subject_row(result, "S01")
    assert (row["baseline"], row["baseline_study_day"]) == (20.0, 1)


def test_baseline_from_screening_when_day_1_has_no_pasi() -> None:
    result = analyse(frame([("S01", FIRST, [(-20, "30.0"), (-1, "24.0"), (2, "18.0"), (85, "6.0")])]))
    row = subject_row(result, "S01")
    assert (row["baseline"], row["baseline_study_day"], row["improvement_percent"]) == (24.0, -1, 75.0)


def test_the_pasi_frame_marks_baseline_and_week12_and_keeps_every_row() -> None:
    assessments = frame(
        [("S01", FIRST, [(-20, "30.0"), (1, "20.0"), (57, "10.0"), (85, "5.0")]), ("S02", None, [(1, "12.0")])]
    )
    result = analyse(assessments)
    assert result.pasi.schema == pl.Schema(
        {"subject": pl.Utf8, "study_day": pl.Int64, "pasi": pl.Float64, "analysis_visit": pl.Utf8}
    )
    assert result.pasi.rows() == [
        ("S01", -20, 30.0, None),
        ("S01", 1, 20.0, "baseline"),
        ("S01", 57, 10.0, None),
        ("S01", 85, 5.0, "week12"),
        ("S02", None, 12.0, None),  # never treated: no study day
    ]


def test_date_helper_matches_the_cdisc_rule() -> None:
    assert date_of(1) == FIRST
    assert date_of(-1) == FIRST - dt.timedelta(days=1)
    assert date_of(85) == dt.date(2019, 10, 24)


def test_a_protocol_that_breaks_ties_to_the_later_takes_the_later() -> None:
    later = PROTOCOL.model_copy(
        update={"settings": PROTOCOL.settings.model_copy(update={"visit_window_tie_break": "later"})}
    )
    study = frame([("S01", FIRST, [(1, "20.0"), (83, "9.0"), (87, "1.0")])])
    endpoints = analyse_pasi(study, later).endpoints
    assert endpoints["window"]["tie_break"] == "later"
    assert endpoints["primary"]["per_subject"][0]["week12_study_day"] == 87
    assert "of two equally close the later" in " ".join(analyse_pasi(study, later).methods)
