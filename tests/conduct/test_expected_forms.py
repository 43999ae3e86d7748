"""Which listed forms a visit expects and which are missing (conduct/expected_forms.py), one row per rule."""

from __future__ import annotations

import pytest

from dermtrial.conduct.expected_forms import FormEvidence, decide_visit_forms


@pytest.mark.parametrize(
    ("applies", "evidence", "expected", "missing"),
    [
        (False, FormEvidence(), False, False),  # does not apply: neither expected nor missing
        (False, FormEvidence("in-progress"), False, False),  # an instance entered anyway changes nothing
        (None, FormEvidence(), True, True),  # cannot be decided yet: expected (conservative), and missing
        (True, FormEvidence(), True, True),  # no instance
        (True, FormEvidence("not-started"), True, True),
        (True, FormEvidence("in-progress"), True, True),
        (True, FormEvidence("complete"), True, False),
        (True, FormEvidence("locked"), True, False),
        (True, FormEvidence("not-done"), True, False),  # not done with a reason counts as done
        (True, FormEvidence(None, "2 laboratory result(s)"), True, False),  # records of its own
        (True, FormEvidence("in-progress", "1 ointment tube record(s)"), True, False),  # records win over a draft
    ],
)
def test_expected_and_missing(applies: bool | None, evidence: FormEvidence, expected: bool, missing: bool) -> None:
    (decision,) = decide_visit_forms(["F"], {"F": evidence}, {"F": applies})
    assert (decision.expected, decision.missing) == (expected, missing)


def test_protocol_order_and_defaults() -> None:
    decisions = decide_visit_forms(["VS", "PREG", "LB"], {"VS": FormEvidence("complete")}, {"PREG": False})
    assert [(d.form, d.applies, d.status, d.missing) for d in decisions] == [
        ("VS", True, "complete", False),  # no applies_when: applies
        ("PREG", False, None, False),
        ("LB", True, None, True),  # nothing held: missing
    ]
