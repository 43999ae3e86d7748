"""Rater change: the same assessor should score PASI (and sPGA) at every visit of a subject.

Given a subject's assessments in visit order as ``(visit_id, assessor)``, each visit whose assessor differs from the
one before is flagged. Example: ``[(day1, A), (week2, A), (week4, B), (week8, B)]`` → one flag at week4 (A → B).
Assessments without a recorded assessor are skipped (the form check asks for it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RaterChange:
    """A visit scored by a different assessor from the previous one."""

    visit_id: str
    """The visit where the change happened."""
    previous: str
    """The earlier assessor."""
    current: str
    """The assessor at this visit."""


def flag_rater_changes(assessments: Sequence[tuple[str, str | None]], *, enabled: bool = True) -> list[RaterChange]:
    """Every change of assessor, in visit order (none when the protocol turns the flag off)."""
    if not enabled:
        return []
    flags: list[RaterChange] = []
    previous: str | None = None
    for visit_id, assessor in assessments:
        if assessor is None:
            continue
        if previous is not None and assessor != previous:
            flags.append(RaterChange(visit_id, previous, assessor))
        previous = assessor
    return flags
