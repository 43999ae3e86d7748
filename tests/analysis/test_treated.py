"""The CSV path's population: subjects with a first treatment date; the others are left out by name."""

from __future__ import annotations

import datetime as dt

from dermtrial.analysis.input import frame_from_rows
from dermtrial.analysis.treated import NOT_TREATED, select_treated
from dermtrial.protocol.builtin import load_builtin

DAY1 = dt.date(2019, 8, 1)


def test_subjects_without_a_first_treatment_date_are_left_out_by_name() -> None:
    frame = frame_from_rows(
        [
            ("S01", DAY1, DAY1, 150),
            ("S02", None, DAY1, 80),  # a screen failure: PASI at screening, never treated
            ("S02", None, DAY1 + dt.timedelta(days=1), 85),
            ("S03", DAY1, DAY1, 200),
        ]
    )
    subset = select_treated(frame, load_builtin("NCT03392311"))
    assert sorted(set(subset.assessments["subject"].to_list())) == ["S01", "S03"]
    assert subset.left_out == ("S02",)
    assert subset.left_out_json() == [{"subject": "S02", "reason": NOT_TREATED}]
    assert subset.label.startswith("fas: Full analysis set")


def test_every_subject_treated_leaves_nobody_out() -> None:
    frame = frame_from_rows([("S01", DAY1, DAY1, 150)])
    subset = select_treated(frame, load_builtin("NCT03392311"))
    assert subset.left_out == ()
    assert subset.assessments.height == 1
