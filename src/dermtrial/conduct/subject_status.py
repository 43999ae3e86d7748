"""A subject's two state variables: study status and treatment status, and the moves allowed in each.

Study status: ``screening → screen-failed | enrolled``; ``enrolled → follow-up | completed | withdrew-consent |
lost | died``; ``follow-up → completed | withdrew-consent | lost | died``. Treatment status: ``not-started →
on-treatment → discontinued (with a reason) | completed``. The two move separately, so "off treatment, still
followed" is study status ``follow-up`` (or ``enrolled``) with treatment status ``discontinued``.
"""

from __future__ import annotations

from typing import Literal, get_args

from dermtrial.errors import InvalidInput, Problem

StudyStatus = Literal[
    "screening", "screen-failed", "enrolled", "follow-up", "completed", "withdrew-consent", "lost", "died"
]
TreatmentStatus = Literal["not-started", "on-treatment", "discontinued", "completed"]

_ENDS = frozenset({"completed", "withdrew-consent", "lost", "died"})
STUDY_MOVES: dict[str, frozenset[str]] = {
    "screening": frozenset({"screen-failed", "enrolled", "withdrew-consent"}),
    "screen-failed": frozenset(),
    "enrolled": frozenset({"follow-up"}) | _ENDS,
    "follow-up": _ENDS,
    **{end: frozenset() for end in _ENDS},
}
TREATMENT_MOVES: dict[str, frozenset[str]] = {
    "not-started": frozenset({"on-treatment", "discontinued"}),
    "on-treatment": frozenset({"discontinued", "completed"}),
    "discontinued": frozenset(),
    "completed": frozenset(),
}


def _check(kind: str, moves: dict[str, frozenset[str]], current: str, new: str) -> None:
    if new not in moves:
        allowed = ", ".join(moves)
        raise InvalidInput([Problem((kind,), f'"{new}" is not allowed: expected one of {allowed}', value=new)])
    if new not in moves.get(current, frozenset()):
        allowed = ", ".join(sorted(moves.get(current, frozenset()))) or "nothing (a final status)"
        raise InvalidInput(
            [Problem((kind,), f'"{current}" → "{new}" is not allowed: from "{current}" only {allowed}', value=new)]
        )


def check_study_status(current: str, new: str) -> None:
    """Refuse a study-status move the model does not allow."""
    _check("study_status", STUDY_MOVES, current, new)


def check_treatment_status(current: str, new: str, reason: str | None = None) -> None:
    """Refuse a treatment-status move the model does not allow, or a discontinuation without a reason."""
    _check("treatment_status", TREATMENT_MOVES, current, new)
    if new == "discontinued" and not (reason and reason.strip()):
        raise InvalidInput([Problem(("reason",), "required when treatment is discontinued", value=reason)])


STUDY_STATUSES: tuple[str, ...] = get_args(StudyStatus)
TREATMENT_STATUSES: tuple[str, ...] = get_args(TreatmentStatus)
