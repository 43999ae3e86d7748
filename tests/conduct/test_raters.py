"""A change of PASI assessor within a subject is flagged."""

from __future__ import annotations

import pytest

from dermtrial.conduct import flag_rater_changes


@pytest.mark.requirement("CLIN-RATER-01")
def test_change_is_flagged_once_per_change() -> None:
    flags = flag_rater_changes([("day1", "A"), ("week2", "A"), ("week4", "B"), ("week8", None), ("week12", "B")])
    assert [(f.visit_id, f.previous, f.current) for f in flags] == [("week4", "A", "B")]


@pytest.mark.requirement("CLIN-RATER-01")
def test_flag_off_by_protocol_setting() -> None:
    assert flag_rater_changes([("day1", "A"), ("week2", "B")], enabled=False) == []
