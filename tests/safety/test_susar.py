"""A SUSAR is serious and, for the same product, related and unexpected; expectedness is judged per product against
its reference safety information in the protocol file."""

from __future__ import annotations

import pytest

from dermtrial.protocol.builtin import load_builtin
from dermtrial.safety.expectedness import is_expected
from dermtrial.safety.susar import ProductAssessment, susar_products

PRODUCTS = {p.id: p for p in load_builtin("NCT03392311").interventions}


@pytest.mark.requirement("CLIN-SUSAR-01")
def test_hypercalcaemia_is_expected_for_calcipotriol_and_unexpected_for_the_cells() -> None:
    assert is_expected("Hypercalcemia", PRODUCTS["calcipotriol"])
    assert is_expected("  hypercalcemia ", PRODUCTS["calcipotriol"])
    assert not is_expected("Hypercalcemia", PRODUCTS["admsc"])
    assert is_expected("Infusion related reaction", PRODUCTS["admsc"])


@pytest.mark.requirement("CLIN-SUSAR-01")
def test_related_to_calcipotriol_and_expected_for_it_is_not_a_susar_even_if_unexpected_for_the_cells() -> None:
    products = [
        ProductAssessment("calcipotriol", related=True, expected=True),
        ProductAssessment("admsc", related=False, expected=False),
    ]
    assert susar_products(serious=True, products=products) == []


@pytest.mark.requirement("CLIN-SUSAR-01")
def test_related_and_unexpected_for_the_cells_is_a_susar_for_the_cells_only() -> None:
    products = [
        ProductAssessment("admsc", related=True, expected=False),
        ProductAssessment("calcipotriol", related=True, expected=True),
    ]
    assert susar_products(serious=True, products=products) == ["admsc"]


@pytest.mark.requirement("CLIN-SUSAR-01")
def test_a_non_serious_event_is_never_a_susar() -> None:
    assert susar_products(serious=False, products=[ProductAssessment("admsc", True, False)]) == []
