"""The one unit registry: the unit strings protocol files and sites use."""

from __future__ import annotations

import pytest

from dermtrial.units import UnitError, conversion_factor, is_unit, parse_unit


@pytest.mark.parametrize(
    ("site_unit", "si_unit", "factor"),
    [
        ("10^3/uL", "10^9/L", 1.0),  # cell counts: 10^3/µL and 10^9/L are the same number
        ("g/dL", "g/L", 10.0),  # haemoglobin g/dL × 10 = g/L
        ("mg/dL", "mg/L", 10.0),
        ("µmol/L", "umol/L", 1.0),  # the micro sign and u are the same prefix
        ("g/week", "g/day", 1 / 7),
    ],
)
def test_site_units_convert_to_si_with_the_right_factor(site_unit: str, si_unit: str, factor: float) -> None:
    assert conversion_factor(site_unit, si_unit) == pytest.approx(factor, rel=1e-12)


def test_incompatible_units_are_refused_not_guessed() -> None:
    with pytest.raises(UnitError, match='"mg/dL" cannot be converted to "10\\^9/L"'):
        conversion_factor("mg/dL", "10^9/L")


def test_a_body_weight_dose_unit_is_per_mass() -> None:
    assert parse_unit("cell/kg").dimensionality == {"[mass]": -1}


@pytest.mark.parametrize("text", ["", "kilogrammes", "2", "mg/"])
def test_unknown_or_empty_units_are_refused(text: str) -> None:
    assert not is_unit(text)
    with pytest.raises(UnitError):
        parse_unit(text)
