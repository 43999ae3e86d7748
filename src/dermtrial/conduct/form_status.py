"""Form status and the transitions allowed between statuses.

Statuses as stored (``form_instance.status``)::

    not-started → in-progress → complete → verified → signed → locked
         └──────────────┴──────→ not-done (with a reason)

- editing a complete, verified or signed form sends it back to ``in-progress`` (its SDV and signature are reset by
  the review layer); a locked form changes only after it is unlocked (back to ``signed``);
- ``not-done`` needs a reason and may be reopened (``in-progress``) when the data turn up after all.
"""

from __future__ import annotations

from typing import Literal, get_args

from dermtrial.errors import InvalidInput, Problem

FormStatus = Literal["not-started", "in-progress", "complete", "verified", "signed", "locked", "not-done"]
FORM_STATUSES: tuple[str, ...] = get_args(FormStatus)

ALLOWED: dict[str, frozenset[str]] = {
    "not-started": frozenset({"in-progress", "complete", "not-done"}),
    "in-progress": frozenset({"complete", "not-done"}),
    "complete": frozenset({"in-progress", "verified", "signed"}),
    "verified": frozenset({"in-progress", "signed"}),
    "signed": frozenset({"in-progress", "locked"}),
    "locked": frozenset({"signed"}),
    "not-done": frozenset({"in-progress"}),
}
"""From status → the statuses it may move to."""

DONE: frozenset[str] = frozenset({"complete", "verified", "signed", "locked", "not-done"})
"""Statuses that count as no longer missing."""


def check_form_transition(current: str, new: str, reason: str | None = None) -> None:
    """Refuse a transition the model does not allow, or ``not-done`` without a reason (InvalidInput)."""
    for field, value in (("status", current), ("new_status", new)):
        if value not in FORM_STATUSES:
            allowed = ", ".join(FORM_STATUSES)
            raise InvalidInput([Problem((field,), f'"{value}" is not allowed: expected one of {allowed}', value=value)])
    if new not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current]))
        raise InvalidInput(
            [Problem(("status",), f'"{current}" → "{new}" is not allowed: from "{current}" only {allowed}', value=new)]
        )
    if new == "not-done" and not (reason and reason.strip()):
        raise InvalidInput([Problem(("not_done_reason",), "required when a form is not done", value=reason)])


def is_missing(status: str | None) -> bool:
    """True when an expected form is not yet done (no instance, not started or in progress)."""
    return status is None or status not in DONE
