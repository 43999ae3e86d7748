"""Strict input types shared by the instrument item models.

Every item of a scored instrument is validated here, before any arithmetic:

- a whole-number score (PASI signs, sPGA, DLQI items, Zung answers, itch NRS) must be a JSON integer inside
  its range: ``"2"`` (text), ``2.5`` and ``2.0`` (numbers with a fraction part) and ``true`` are refused,
  never coerced;
- a measured quantity (a percentage of a region, BSA, a VAS distance, a PASI total) must be a JSON number
  inside its range and is held as an exact :class:`~decimal.Decimal`, so ``9.99`` stays below 10 and ``12.5``
  is 12.5.

The error messages name what is allowed (``must be a whole number 0–4``); :mod:`dermtrial.errors` adds the
field path and the value given, so that a bad item reads ``head.erythema: 5 is not allowed: must be a whole
number 0–4``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema
from pydantic_core import PydanticCustomError


class StrictModel(BaseModel):
    """Base of every instrument input: unknown keys refused, no type coercion, immutable once validated."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def whole_number(low: int, high: int) -> Callable[[object], int]:
    """A before-validator accepting only an ``int`` (not ``bool``) from ``low`` to ``high`` inclusive."""

    def check(value: object) -> int:
        if type(value) is not int or not low <= value <= high:
            raise PydanticCustomError("score_range", "must be a whole number {low}–{high}", {"low": low, "high": high})
        return value

    return check


def exact_number(
    low: int, high: int, *, max_places: int | None = None, what: str = "a number"
) -> Callable[[object], Decimal]:
    """A before-validator accepting an ``int``, ``float`` or finite ``Decimal`` in ``low``–``high`` inclusive.

    The value becomes an exact :class:`Decimal`. A ``float`` (from Python callers) is read through its
    shortest representation, so ``12.5`` and ``9.99`` mean what was typed; the command line parses JSON
    numbers straight to ``Decimal`` and never goes through a float. With ``max_places`` a value with more
    decimals is refused.
    """
    rule = f"must be {what} {low}–{high}"
    if max_places is not None:
        rule += f" with at most {max_places} decimal{'s' if max_places != 1 else ''}"

    def check(value: object) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise PydanticCustomError("number_range", rule)
        try:
            exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:  # pragma: no cover - repr() of a float is always a valid Decimal literal
            raise PydanticCustomError("number_range", rule) from None
        if not exact.is_finite() or not low <= exact <= high:
            raise PydanticCustomError("number_range", rule)
        if max_places is not None:
            exponent = exact.normalize().as_tuple().exponent
            if isinstance(exponent, int) and exponent < -max_places:
                raise PydanticCustomError("number_range", rule)
        return exact

    return check


def choice(*allowed: str) -> Callable[[object], str]:
    """A before-validator accepting only one of the listed strings (an answer code such as
    ``"not_relevant"``)."""
    shown = ", ".join(f'"{a}"' for a in allowed)

    def check(value: object) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise PydanticCustomError("choice", "must be one of {allowed}", {"allowed": shown})
        return value

    return check


def _schema(kind: str, low: int, high: int) -> dict[str, object]:
    return {"type": kind, "minimum": low, "maximum": high}


# Whole-number item scores, by range; the JSON Schema the forms are built from states the same range.
Score0to2 = Annotated[int, BeforeValidator(whole_number(0, 2)), WithJsonSchema(_schema("integer", 0, 2))]
Score0to3 = Annotated[int, BeforeValidator(whole_number(0, 3)), WithJsonSchema(_schema("integer", 0, 3))]
Score0to4 = Annotated[int, BeforeValidator(whole_number(0, 4)), WithJsonSchema(_schema("integer", 0, 4))]
Score0to6 = Annotated[int, BeforeValidator(whole_number(0, 6)), WithJsonSchema(_schema("integer", 0, 6))]
Score1to4 = Annotated[int, BeforeValidator(whole_number(1, 4)), WithJsonSchema(_schema("integer", 1, 4))]

# Exact measured quantities.
Percent = Annotated[Decimal, BeforeValidator(exact_number(0, 100)), WithJsonSchema(_schema("number", 0, 100))]
PasiValue = Annotated[
    Decimal,
    BeforeValidator(exact_number(0, 72, max_places=1, what="a PASI value")),
    WithJsonSchema(_schema("number", 0, 72)),
]


def optional(check: Callable[[object], object]) -> Callable[[object], object]:
    """Let ``None`` (JSON ``null``: an item left unanswered) through ``check``; anything else must pass it."""

    def check_or_none(value: object) -> object:
        return None if value is None else check(value)

    return check_or_none


# Items that may be left unanswered (null) or not given at all; the range still applies to a given value.
OptionalScore0to6 = Annotated[Score0to6 | None, BeforeValidator(optional(whole_number(0, 6)))]
OptionalScore1to4 = Annotated[Score1to4 | None, BeforeValidator(optional(whole_number(1, 4)))]
OptionalScore0to2 = Annotated[Score0to2 | None, BeforeValidator(optional(whole_number(0, 2)))]
OptionalPercent = Annotated[Percent | None, BeforeValidator(optional(exact_number(0, 100)))]
