"""Laboratory values in site units, converted to the unit a criterion compares, and the reference range that goes with
them.

A result is accepted in the test's SI unit or in one of the site units the protocol lists for it
(``safety.lab_tests[].si_unit`` / ``site_units``); any other unit is bad input, never a guess. Conversion uses the one
unit registry (:mod:`dermtrial.units`). Between mass and amount of substance (calcium mg/dL → mmol/L, creatinine
mg/dL → µmol/L) it needs the test's molar mass, which the protocol states as reference data
(``safety.lab_tests[].molar_mass_g_per_mol``: calcium 40.078 g/mol, so 1 mg/dL = 0.2495 mmol/L); the evidence names
it. Factors are kept to 12 significant digits.

The reference range comes from the lab record (``lln`` / ``uln`` in the result's unit). When the record gives neither
limit, the caller may pass the site's stored ranges (:class:`ReferenceRange`, e.g. from the study database); the
evidence says which one was used.

Albumin-corrected calcium (``settings.eligibility_calcium: albumin_corrected``) uses the formula named by
``settings.calcium_correction``, read from ``data/calcium_correction.yaml`` with its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

from dermtrial.eligibility.rules import clean_factor, decimal_of
from dermtrial.protocol.model import LabTest
from dermtrial.units import UnitError, conversion_factor, parse_unit, registry


@dataclass(frozen=True)
class ReferenceRange:
    """A site's reference range for one test, in ``unit`` (either limit may be unknown)."""

    lln: Decimal | None
    uln: Decimal | None
    unit: str
    source: str = "site"
    """Where the range comes from, shown in the evidence (``site``, ``lab record`` …)."""


@dataclass(frozen=True)
class Conversion:
    """How one unit becomes another for one test."""

    factor: Decimal
    molar_mass_g_per_mol: float | None = None

    def evidence(self, test: LabTest) -> dict[str, Any]:
        out: dict[str, Any] = {"factor": float(self.factor)}
        if self.molar_mass_g_per_mol is not None:
            out["molar_mass_g_per_mol"] = self.molar_mass_g_per_mol
            out["molar_mass_source"] = test.molar_mass_source or f"protocol safety.lab_tests {test.code}"
        return out


def allowed_units(test: LabTest) -> list[str]:
    """The units a result of this test may be reported in: its SI unit, then the listed site units."""
    return [test.si_unit, *test.site_units]


def _same_unit(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        qa, qb = parse_unit(a), parse_unit(b)
        return bool(qa.dimensionality == qb.dimensionality and abs(float((qa / qb).to("dimensionless")) - 1) < 1e-12)
    except (UnitError, Exception):
        return False


def check_unit(test: LabTest, unit: str) -> str | None:
    """None when ``unit`` is allowed for ``test``; otherwise the message naming what is allowed."""
    if any(_same_unit(unit, allowed) for allowed in allowed_units(test)):
        return None
    listed = ", ".join(allowed_units(test))
    return f'"{unit}" is not allowed: {test.code} results are reported in {listed}'


@cache
def _conversion(code: str, molar_mass_g_per_mol: float | None, from_unit: str, to_unit: str) -> Conversion:
    try:
        return Conversion(clean_factor(conversion_factor(from_unit, to_unit)))
    except UnitError:
        if molar_mass_g_per_mol is None:
            raise
    ureg = registry()
    molar_mass = ureg.Quantity(molar_mass_g_per_mol, "g/mol")
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    for candidate in (source / molar_mass, source * molar_mass):
        if candidate.dimensionality == target.dimensionality:
            factor = float((candidate / target).to("dimensionless").magnitude)
            return Conversion(clean_factor(factor), molar_mass_g_per_mol)
    raise UnitError(f'"{from_unit}" cannot be converted to "{to_unit}" for {code}')


def conversion(test: LabTest, from_unit: str, to_unit: str) -> Conversion:
    """The factor from ``from_unit`` to ``to_unit`` for this test (through its molar mass when needed)."""
    return _conversion(test.code, test.molar_mass_g_per_mol, from_unit, to_unit)


@dataclass(frozen=True)
class CalciumCorrection:
    """corrected Ca (mmol/L) = Ca + coefficient × (reference albumin − albumin), albumin in g/L."""

    name: str
    coefficient: Decimal
    reference_albumin: Decimal
    calcium_unit: str
    albumin_unit: str
    source: str

    def correct(self, calcium: Decimal, albumin: Decimal) -> Decimal:
        return calcium + self.coefficient * (self.reference_albumin - albumin)


@cache
def calcium_correction(name: str) -> CalciumCorrection:
    """The named correction formula from ``data/calcium_correction.yaml`` (KeyError when unknown)."""
    text = resources.files("dermtrial.eligibility").joinpath("data", "calcium_correction.yaml").read_text("utf-8")
    data = yaml.safe_load(text)["formulas"][name]
    return CalciumCorrection(
        name=name,
        coefficient=decimal_of(data["coefficient"]),
        reference_albumin=decimal_of(data["reference_albumin"]),
        calcium_unit=str(data["calcium_unit"]),
        albumin_unit=str(data["albumin_unit"]),
        source=str(data["source"]),
    )
