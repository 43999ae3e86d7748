"""Building blocks shared by the protocol and form models: strict models, quantities, windows, identifiers.

It sits outside both packages so that either can be imported first without a cycle.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from dermtrial.units import UnitError, parse_unit


class StrictModel(BaseModel):
    """A protocol-file object: unknown keys are an error, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _check_unit(value: str) -> str:
    try:
        parse_unit(value)
    except UnitError as exc:
        raise ValueError(f'"{value}" is not a unit the unit library knows (examples: mmol/L, g/week, cell/kg)') from exc
    return value


UnitStr = Annotated[str, AfterValidator(_check_unit)]
"""A unit string that pint understands, such as ``mmol/L``, ``10^9/L`` or ``cell/kg``."""

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f'"{value}" is not allowed: an id starts with a letter and has only letters, digits, _ and -')
    return value


Ident = Annotated[str, AfterValidator(_check_id)]
"""An identifier referred to from elsewhere in the file (a visit id, a form code, an input name)."""


class Quantity(StrictModel):
    """An amount with its unit, e.g. ``{amount: 100, unit: g/week}``."""

    amount: float = Field(ge=0)
    """The number (non-negative)."""
    unit: UnitStr
    """The unit, a string the unit library understands."""


class Window(StrictModel):
    """How many days before and after a target date still count as on time."""

    before: int = Field(ge=0)
    """Days allowed before the target (0 or more)."""
    after: int = Field(ge=0)
    """Days allowed after the target (0 or more)."""


def _check_precision(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError(f"{value} is not allowed: a precision is a positive step such as 1, 0.1 or 0.01")
    exponent = value.normalize().as_tuple().exponent
    if not isinstance(exponent, int) or value.normalize() != Decimal(1).scaleb(exponent):
        raise ValueError(f"{value} is not allowed: a precision is a power of ten such as 1, 0.1 or 0.01")
    return value


Precision = Annotated[Decimal, AfterValidator(_check_precision)]
"""The step at which a value is compared: ``1``, ``0.1``, ``0.01`` … (values are rounded half-up to it)."""


def json_default(value: Any) -> Any:
    """JSON encoding of the few non-JSON types a protocol holds."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)
