"""Safety: CTCAE v5.0 laboratory grading as data, adverse-event rules, reporting clocks and alerts (pure core).

Nothing here reads the clock, the disk (beyond its own packaged data) or the database: dates and "now" are passed in.
"""

from __future__ import annotations

from dermtrial.safety.criteria import Criteria, Term, criteria
from dermtrial.safety.grade_lab import LabGrade, TermGrade, grade_lab

__all__ = ["Criteria", "LabGrade", "Term", "TermGrade", "criteria", "grade_lab"]
