"""Alerts raised from a graded laboratory result: a grade at or above the protocol's threshold (grade 3 by default,
``safety.alerts[kind=lab_grade_at_least]``), or a shift from the subject's baseline grade by 2 grades or more.

A term that could not be graded raises no alert here; it is shown as not gradable.
"""

from __future__ import annotations

from dataclasses import dataclass

from dermtrial.safety.grade_lab import LabGrade

SHIFT_GRADES = 2
"""A rise of this many grades from baseline raises an alert."""


@dataclass(frozen=True)
class LabAlert:
    """One alert: which term, why, and the text shown."""

    term: str
    kind: str
    """``grade_at_least`` or ``shift_from_baseline``."""
    grade: int
    message: str


def lab_alerts(result: LabGrade, baseline: LabGrade | None = None, at_least: int = 3) -> list[LabAlert]:
    """The alerts for one graded result, in term order (a term may raise both kinds)."""
    before = {g.term: g.grade for g in baseline.grades} if baseline is not None else {}
    alerts: list[LabAlert] = []
    for item in result.grades:
        if item.grade is None:
            continue
        if item.grade >= at_least:
            alerts.append(LabAlert(item.term, "grade_at_least", item.grade, f"{item.term}: CTCAE grade {item.grade}"))
        start = before.get(item.term)
        if start is not None and item.grade - start >= SHIFT_GRADES:
            alerts.append(
                LabAlert(
                    item.term,
                    "shift_from_baseline",
                    item.grade,
                    f"{item.term}: grade {start} at baseline, now grade {item.grade}",
                )
            )
    return alerts
