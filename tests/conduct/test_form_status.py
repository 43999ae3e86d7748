"""Form status transitions."""

from __future__ import annotations

import pytest

from dermtrial.conduct import check_form_transition, is_missing
from dermtrial.errors import InvalidInput


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("not-started", "in-progress"),
        ("in-progress", "complete"),
        ("complete", "verified"),
        ("verified", "signed"),
        ("complete", "signed"),  # SDV is not required before signing
        ("signed", "locked"),
        ("locked", "signed"),  # unlock
        ("signed", "in-progress"),  # an edit reopens
        ("not-done", "in-progress"),
    ],
)
def test_allowed_transitions(current: str, new: str) -> None:
    check_form_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [("not-started", "signed"), ("locked", "in-progress"), ("in-progress", "verified"), ("not-done", "complete")],
)
def test_refused_transitions_name_what_is_allowed(current: str, new: str) -> None:
    with pytest.raises(InvalidInput, match="only"):
        check_form_transition(current, new)


def test_not_done_needs_a_reason() -> None:
    with pytest.raises(InvalidInput, match="required"):
        check_form_transition("not-started", "not-done", "  ")
    check_form_transition("not-started", "not-done", "subject refused blood draw")


def test_unknown_status_is_refused() -> None:
    with pytest.raises(InvalidInput, match="expected one of"):
        check_form_transition("draft", "complete")


def test_missing_statuses() -> None:
    assert is_missing(None)
    assert is_missing("not-started")
    assert is_missing("in-progress")
    assert not is_missing("complete")
    assert not is_missing("not-done")
