"""The one pint unit registry of dermtrial.

Every unit string in a protocol file, a form item or a lab result is parsed here, so that "mg/dL", "10^9/L" and
"cell/kg" mean the same thing everywhere. Counting units that pint does not define (cells, tubes, tablets) are added
as dimensionless counts.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pint

_EXTRA_DEFINITIONS = (
    # A cell, an application or a unit of product is a count: "2e6 cell/kg" has the dimension 1/mass.
    "cell = count = cells",
    "application = count",
    "tube = count",
    "sachet = count",
    "tablet = count",
    # Blood counts are reported per litre in powers of ten: "10^9/L" and "10^3/uL" are the same quantity.
)


class UnitError(ValueError):
    """A unit string that the registry cannot parse."""


@cache
def registry() -> Any:
    """Return the shared unit registry (created once); typed ``Any`` because pint's generics are not precise."""
    ureg: Any = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for line in _EXTRA_DEFINITIONS:
        ureg.define(line)
    return ureg


def parse_unit(text: str) -> Any:
    """Parse a unit string such as ``"mmol/L"``, ``"10^9/L"`` or ``"cell/kg"``; raise :class:`UnitError` if unknown.

    The result is a quantity, not a bare unit, so that a scale in the string survives: ``"10^9/L"`` is
    ``1e9 / L`` and converts to ``"10^3/uL"`` with factor 1.
    """
    if not text.strip():
        raise UnitError("an empty unit")
    ureg = registry()
    try:
        quantity = ureg.parse_expression(text.replace("^", "**"))
    except Exception as exc:  # pint raises several unrelated exception types for a bad string
        raise UnitError(f"{text!r} is not a unit the unit library knows") from exc
    if isinstance(quantity, (int, float)) or quantity.units == ureg.dimensionless:
        raise UnitError(f"{text!r} is a number, not a unit")
    return quantity


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """How many ``to_unit`` make one ``from_unit`` (``g/dL`` → ``g/L`` is 10); UnitError when incompatible."""
    try:
        return float((parse_unit(from_unit) / parse_unit(to_unit)).to("dimensionless").magnitude)
    except pint.DimensionalityError as exc:
        raise UnitError(f'"{from_unit}" cannot be converted to "{to_unit}"') from exc


def is_unit(text: str) -> bool:
    """True when ``text`` parses as a unit."""
    try:
        parse_unit(text)
    except UnitError:
        return False
    return True
