"""Display rounding: how every number of a report is printed (one rule per kind of number, documented in
docs/report.md).

The renderer computes nothing; it rounds what ``endpoints.json`` holds, for display only. Every rule rounds the
decimal number as it is written in ``endpoints.json`` (``repr`` of the float), half away from zero, so 12.25 shows
as 12.3 (a binary float rounding would show 12.2):

=====================  ============================================  ==================
kind                   rule                                          example
=====================  ============================================  ==================
PASI value, change     1 decimal                                     ``12.3``, ``-8.0``
improvement %          1 decimal                                     ``66.7``
summary of %           1 decimal (mean, SD, CI, median, min, max)    ``58.3``
proportion             as a percentage with 1 decimal                ``37.5 %``
p-value                4 significant digits; below 0.0001 in         ``0.007813``,
                       scientific notation with 4 significant digits ``3.052e-05``
count, study day       integer                                       ``8``, ``85``
missing value          an em dash                                    ``—``
=====================  ============================================  ==================
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

MISSING = "—"
"""What a missing (null) number shows as."""

_MINUS = "-"

RULES: tuple[tuple[str, str], ...] = (
    ("PASI value, change in PASI, Hodges–Lehmann estimate", "1 decimal"),
    ("Improvement % and its mean, SD, 95 % CI, median, minimum, maximum", "1 decimal"),
    ("Responder proportion and its 95 % CI", "percentage with 1 decimal"),
    ("p-value", "4 significant digits (scientific notation below 0.0001)"),
    ("Count, study day", "integer"),
    ("Missing value", "— (em dash)"),
)
"""The display rounding rules as the methods section prints them. Every rule rounds the decimal number written in
endpoints.json half away from zero."""


def _decimal(value: float | int) -> Decimal | None:
    """The decimal number as written in JSON, or None for a missing or non-finite value."""
    if isinstance(value, bool):
        raise TypeError(f"a number was expected, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def fixed(value: float | int | None, places: int = 1) -> str:
    """``value`` rounded half away from zero to ``places`` decimals; ``—`` when missing."""
    if value is None:
        return MISSING
    number = _decimal(value)
    if number is None:
        return MISSING
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never print -0.0
    return f"{rounded:f}".replace("-", _MINUS)


def pasi(value: float | int | None) -> str:
    """A PASI value or a change in PASI points: 1 decimal."""
    return fixed(value, 1)


def percent(value: float | int | None) -> str:
    """An improvement percentage or a statistic of percentages: 1 decimal (no % sign; the heading says %)."""
    return fixed(value, 1)


def proportion(value: float | int | None) -> str:
    """A proportion (0–1) as a percentage with 1 decimal and a % sign: 0.375 → ``37.5 %``."""
    if value is None:
        return MISSING
    number = _decimal(value)
    if number is None:
        return MISSING
    return f"{fixed(float(number * 100), 1)} %"


def p_value(value: float | int | None) -> str:
    """A p-value to 4 significant digits; below 0.0001 in scientific notation (``3.052e-05``)."""
    if value is None:
        return MISSING
    number = _decimal(value)
    if number is None:
        return MISSING
    if number == 0:
        return "0"
    exponent = number.adjusted()
    rounded = number.quantize(Decimal(1).scaleb(exponent - 3), rounding=ROUND_HALF_UP)
    if rounded.adjusted() != exponent:  # 9.9996e-05 rounds up to 1.000e-04
        exponent = rounded.adjusted()
        rounded = rounded.quantize(Decimal(1).scaleb(exponent - 3), rounding=ROUND_HALF_UP)
    if exponent < -4:
        mantissa = rounded.scaleb(-exponent)
        return f"{mantissa:f}e{exponent:03d}"
    return f"{rounded:f}"


def integer(value: int | float | None) -> str:
    """A count or a study day."""
    if value is None:
        return MISSING
    if isinstance(value, float):
        if not math.isfinite(value):
            return MISSING
        if value.is_integer():
            return str(int(value))
        return fixed(value, 1)
    return str(value)


def interval(bounds: object, rule: str = "percent") -> str:
    """A confidence interval ``[lo, hi]`` as ``lo to hi`` with the rule of its kind; ``—`` when missing."""
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        return MISSING
    low, high = bounds
    show = proportion if rule == "proportion" else percent
    if low is None or high is None:
        return MISSING
    return f"{show(low)} to {show(high)}"


def cell(value: str | int | float | None) -> str:
    """A cell of a :class:`~dermtrial.reports.model.Table`: rows arrive already rounded, so numbers print as given."""
    if value is None:
        return MISSING
    if isinstance(value, float):
        return MISSING if not math.isfinite(value) else repr(value)
    return str(value)


_RUNS = re.compile(r"(\d+)")


def subject_order(subject: object) -> tuple[tuple[int, int, str], ...]:
    """Sort key putting subject numbers in number order: ``GDTCM-E9`` < ``GDTCM-E10`` < ``GDTCM-E100`` (text runs
    compare as text, digit runs as numbers), so a listing of a study past 99 or 999 subjects reads in sequence."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in _RUNS.split(str(subject)) if part != ""
    )
