"""Property: the analysis table and the primary endpoint analysis pick the same baseline and week-12 PASI for every
subject, and give the same percent improvement (two implementations of one timepoint rule must not drift)."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dermtrial.analysis import analyse_pasi
from dermtrial.analysis.adam import derive_adam
from dermtrial.protocol.builtin import load_builtin

PROTOCOL = load_builtin("NCT03392311")
FIRST = dt.date(2019, 8, 1)

subject_days = st.lists(
    st.tuples(st.integers(min_value=-20, max_value=100), st.integers(min_value=0, max_value=720)),
    min_size=1,
    max_size=6,
    unique_by=lambda pair: pair[0],
)


@settings(max_examples=60, deadline=None)
@given(st.lists(subject_days, min_size=1, max_size=5))
@pytest.mark.requirement("CLIN-ANA-02")
def test_baseline_and_week12_agree(subjects: list[list[tuple[int, int]]]) -> None:
    rows = [
        (f"S{i}", FIRST + dt.timedelta(days=offset), tenths)
        for i, days in enumerate(subjects)
        for offset, tenths in days
    ]
    endpoint_input = pl.DataFrame(
        {
            "subject": [r[0] for r in rows],
            "first_treatment_date": [FIRST] * len(rows),
            "assessment_date": [r[1] for r in rows],
            "pasi_tenths": [r[2] for r in rows],
        }
    )
    analysis = analyse_pasi(endpoint_input, PROTOCOL)
    assessments = pl.DataFrame(
        {
            "subject": [r[0] for r in rows],
            "parameter": ["pasi"] * len(rows),
            "visit": ["x"] * len(rows),
            "assessment_date": [r[1] for r in rows],
            "value": [r[2] / 10 for r in rows],
        }
    )
    first = pl.DataFrame({"subject": sorted({r[0] for r in rows}), "first_treatment_date": FIRST})
    adam = derive_adam(assessments, first, PROTOCOL)
    for expected in analysis.endpoints["primary"]["per_subject"]:
        mine = adam.filter(pl.col("subject") == expected["subject"])
        baseline = mine.filter(pl.col("analysis_visit") == "baseline")
        week12 = mine.filter((pl.col("analysis_visit") == "week12") & pl.col("analysis_flag"))
        assert (baseline["value"].to_list() or [None])[0] == expected["baseline"]
        assert (week12["study_day"].to_list() or [None])[0] == expected["week12_study_day"]
        assert (week12["value"].to_list() or [None])[0] == expected["week12"]
        mine_improvement = (week12["percent_improvement"].to_list() or [None])[0]
        if expected["improvement_percent"] is None:
            assert mine_improvement is None or expected["baseline"] is None or expected["week12"] is None
        else:
            assert mine_improvement is not None
            assert math.isclose(mine_improvement, expected["improvement_percent"], rel_tol=1e-9, abs_tol=1e-9)
