"""A graded result raises an alert at grade ≥ 3, or when it rises by ≥ 2 grades from the subject's baseline."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dermtrial.protocol.model import LabTest
from dermtrial.safety import grade_lab
from dermtrial.safety.alerts import lab_alerts


def _plat(tests: dict[str, LabTest], value: str) -> object:
    return grade_lab(tests["PLAT"], Decimal(value), "10^9/L", lln=Decimal(150))


@pytest.mark.requirement("CLIN-ALERT-01")
def test_grade_3_raises_an_alert_and_grade_2_does_not(lab_tests: dict[str, LabTest]) -> None:
    assert [a.kind for a in lab_alerts(grade_lab(lab_tests["PLAT"], Decimal("49.9"), "10^9/L"))] == ["grade_at_least"]
    assert lab_alerts(grade_lab(lab_tests["PLAT"], Decimal("50.0"), "10^9/L")) == []


@pytest.mark.requirement("CLIN-ALERT-01")
def test_a_shift_of_two_grades_from_baseline_raises_an_alert(lab_tests: dict[str, LabTest]) -> None:
    baseline = grade_lab(lab_tests["PLAT"], Decimal(200), "10^9/L", lln=Decimal(150))  # grade 0
    now = grade_lab(lab_tests["PLAT"], Decimal(70), "10^9/L", lln=Decimal(150))  # grade 2
    one_up = grade_lab(lab_tests["PLAT"], Decimal(100), "10^9/L", lln=Decimal(150))  # grade 1
    assert [a.kind for a in lab_alerts(now, baseline)] == ["shift_from_baseline"]
    assert lab_alerts(one_up, baseline) == []
