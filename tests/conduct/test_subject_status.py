"""Study status and treatment status move separately; off treatment, still followed, is expressible."""

from __future__ import annotations

import pytest

from dermtrial.conduct import check_study_status, check_treatment_status
from dermtrial.errors import InvalidInput


def test_lifecycle_moves() -> None:
    check_study_status("screening", "enrolled")
    check_study_status("enrolled", "follow-up")
    check_study_status("follow-up", "completed")
    check_treatment_status("not-started", "on-treatment")
    check_treatment_status("on-treatment", "discontinued", "infusion reaction")


def test_final_statuses_do_not_move() -> None:
    with pytest.raises(InvalidInput, match="final status"):
        check_study_status("screen-failed", "enrolled")
    with pytest.raises(InvalidInput, match="only"):
        check_study_status("screening", "completed")


def test_discontinuation_needs_a_reason() -> None:
    with pytest.raises(InvalidInput, match="required"):
        check_treatment_status("on-treatment", "discontinued")
