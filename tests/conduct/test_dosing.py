"""AD-MSC dose = 2 × 10⁶ cells/kg × the weight measured at the visit, exact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dermtrial.conduct import ConductRules, compute_dose, rules_for
from dermtrial.errors import InvalidInput
from dermtrial.protocol.model import Dose, Protocol


def _admsc(protocol: Protocol) -> Dose:
    dose = protocol.intervention("admsc").dose
    assert dose is not None
    return dose


@pytest.mark.parametrize(
    ("weight", "cells"),
    [
        ("62.5", 125_000_000),  # the example
        ("70", 140_000_000),
        ("48.35", 96_700_000),  # two decimals: exact, no float residue
        ("20", 40_000_000),  # lowest plausible weight
        ("300", 600_000_000),  # highest plausible weight
    ],
)
@pytest.mark.requirement("CLIN-DOSE-01")
def test_dose_is_2e6_cells_per_kg_times_weight(protocol: Protocol, weight: str, cells: int) -> None:
    result = compute_dose(_admsc(protocol), Decimal(weight))
    assert result.amount == cells
    assert result.unit == "cell"
    assert result.to_json()["dose"] == cells


@pytest.mark.parametrize("weight", ["-1", "0", "19.9", "300.1", "NaN"])
@pytest.mark.requirement("CLIN-DOSE-01")
def test_implausible_weight_is_refused_naming_the_field(protocol: Protocol, weight: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        compute_dose(_admsc(protocol), Decimal(weight))
    assert caught.value.problems[0].path == ("weight_kg",)
    assert "20 to 300 kg" in caught.value.problems[0].message


def test_weight_cap_and_dose_cap_apply_in_order(protocol: Protocol) -> None:
    capped = compute_dose(_admsc(protocol), Decimal("120"), ConductRules(weight_cap_kg=Decimal("100")))
    assert (capped.amount, capped.capped, capped.weight_kg) == (200_000_000, "weight", Decimal("100"))
    dose_cap = compute_dose(_admsc(protocol), Decimal("120"), ConductRules(dose_cap=Decimal("150000000")))
    assert (dose_cap.amount, dose_cap.capped) == (150_000_000, "dose")


def test_rounding_step_rounds_half_up() -> None:
    dose = Dose(amount=2.0e6, unit="cell/kg", basis="body_weight", rounding=Decimal("1e7"))
    assert compute_dose(dose, Decimal("62.5")).amount == 130_000_000  # 125,000,000 is half: up
    assert compute_dose(dose, Decimal("62.4")).amount == 120_000_000  # 124,800,000 down


def test_fixed_dose_needs_no_weight() -> None:
    result = compute_dose(Dose(amount=5.5, unit="g"), None)
    assert (result.amount, result.unit, result.weight_kg) == (Decimal("5.5"), "g", None)


@pytest.mark.requirement("CLIN-DOSE-01")
def test_weight_based_dose_without_weight_is_refused(protocol: Protocol) -> None:
    with pytest.raises(InvalidInput, match="required"):
        compute_dose(_admsc(protocol), None)


def test_plausible_weight_comes_from_the_protocols_weight_item(protocol: Protocol) -> None:
    rules = rules_for(protocol)
    assert (rules.weight_min_kg, rules.weight_max_kg) == (30, 250)  # WT.WEIGHT: min 30, max 250 kg
    assert compute_dose(_admsc(protocol), Decimal("30"), rules).amount == 60_000_000  # the edge is allowed
    with pytest.raises(InvalidInput, match="from 30 to 250 kg"):
        compute_dose(_admsc(protocol), Decimal("29.9"), rules)
