"""The shipped CTCAE v5.0 term list covers every graded term, "Infusion related reaction" and the built-in protocols'
reference safety information (where it names a CTCAE term)."""

from __future__ import annotations

import pytest

from dermtrial.protocol.builtin import builtin_ids, load_builtin
from dermtrial.safety import criteria
from dermtrial.safety.terms import check_term, ctcae_terms, soc_of

# Terms in the built-in reference safety information that CTCAE v5.0 does not have (kept verbatim from the files).
NOT_CTCAE = {"Rash", "Skin irritation"}


@pytest.mark.requirement("CLIN-TERM-01")
def test_every_graded_term_is_in_the_term_list() -> None:
    assert [t.term for t in criteria().terms if t.term not in ctcae_terms()] == []


@pytest.mark.requirement("CLIN-TERM-01")
def test_infusion_related_reaction_is_listed() -> None:
    assert soc_of("Infusion related reaction") == "Injury, poisoning and procedural complications"


def test_reference_safety_information_uses_listed_terms() -> None:
    products = [p for pid in builtin_ids() for p in load_builtin(pid).interventions]
    named = {term for p in products for term in p.expected_adverse_events}
    assert {term for term in named if check_term(term) is not None} == NOT_CTCAE


def test_other_specify_terms_and_bad_terms() -> None:
    assert check_term("Skin and subcutaneous tissue disorders - Other, specify") is None
    message = check_term("Headach")
    assert message is not None
    assert '"Headach"' in message


def test_every_protocol_graded_term_has_criteria() -> None:
    graded = {t.term for t in criteria().terms}
    for pid in builtin_ids():
        for test in load_builtin(pid).safety.lab_tests:
            assert set(test.ctcae_terms) <= graded, test.code
