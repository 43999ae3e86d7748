"""One case to time, read and checked from a JSON-like object (``dermtrial safety due``).

Fields: ``awareness_date`` (ISO date, day 0), ``serious`` and ``fatal_or_life_threatening`` (true/false), and
``products``: a list of ``{"product": name, "related": bool, "expected": bool}``, one per study product assessed
(a product named twice is refused). A fatal or life-threatening case must be serious (ICH E2A).
Every fault is a :class:`~dermtrial.errors.Problem` naming the field, the value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dermtrial.errors import Path, Problem
from dermtrial.safety.susar import ProductAssessment

FIELDS = ("awareness_date", "serious", "fatal_or_life_threatening", "products")
PRODUCT_FIELDS = ("product", "related", "expected")


@dataclass(frozen=True)
class DueRequest:
    """A checked case."""

    awareness_date: dt.date
    serious: bool
    fatal_or_life_threatening: bool
    products: tuple[ProductAssessment, ...]


def _unknown(record: Mapping[str, Any], allowed: tuple[str, ...], path: Path, problems: list[Problem]) -> None:
    for key in record:
        if key not in allowed:
            problems.append(Problem((*path, key), f"is not a field: allowed are {', '.join(allowed)}", value=key))


def _bool(record: Mapping[str, Any], key: str, path: Path, problems: list[Problem]) -> bool | None:
    value = record.get(key)
    if isinstance(value, bool):
        return value
    if key not in record:
        problems.append(Problem((*path, key), "is required: true or false", value=None))
        return None
    problems.append(Problem((*path, key), f"{value!r} is not allowed: true or false", value=value))
    return None


def read_due_request(record: Any, path: Path = ()) -> tuple[DueRequest | None, list[Problem]]:
    """Check one object; return the request (None when any problem) and the problems, in field order."""
    if not isinstance(record, Mapping):
        return None, [Problem(path, f"{record!r} is not allowed: an object with {', '.join(FIELDS)}", value=record)]
    problems: list[Problem] = []
    _unknown(record, FIELDS, path, problems)
    raw_date = record.get("awareness_date")
    awareness: dt.date | None = None
    try:
        awareness = dt.date.fromisoformat(raw_date) if isinstance(raw_date, str) and len(raw_date) == 10 else None
    except ValueError:
        awareness = None
    if awareness is None:
        problems.append(
            Problem((*path, "awareness_date"), f"{raw_date!r} is not allowed: a date YYYY-MM-DD", value=raw_date)
        )
    serious = _bool(record, "serious", path, problems)
    fatal = _bool(record, "fatal_or_life_threatening", path, problems)
    if fatal and serious is False:
        message = "true is not allowed with serious false: a fatal or life-threatening event is serious (ICH E2A)"
        problems.append(Problem((*path, "fatal_or_life_threatening"), message, value=fatal))
    raw_products = record.get("products")
    products: list[ProductAssessment] = []
    seen: set[str] = set()
    if not isinstance(raw_products, list):
        message = f"{raw_products!r} is not allowed: a list of {{{', '.join(PRODUCT_FIELDS)}}}"
        problems.append(Problem((*path, "products"), message, value=raw_products))
        raw_products = []
    for index, item in enumerate(raw_products):
        where = (*path, "products", index)
        if not isinstance(item, Mapping):
            message = f"{item!r} is not allowed: an object with {', '.join(PRODUCT_FIELDS)}"
            problems.append(Problem(where, message, value=item))
            continue
        _unknown(item, PRODUCT_FIELDS, where, problems)
        name = item.get("product")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem((*where, "product"), f"{name!r} is not allowed: a product name", value=name))
        elif name in seen:
            message = f"{name!r} is not allowed: each product is assessed once"
            problems.append(Problem((*where, "product"), message, value=name))
        if isinstance(name, str):
            seen.add(name)
        related = _bool(item, "related", where, problems)
        expected = _bool(item, "expected", where, problems)
        if isinstance(name, str) and related is not None and expected is not None:
            products.append(ProductAssessment(name, related, expected))
    if problems or awareness is None or serious is None or fatal is None:
        return None, problems
    return DueRequest(awareness, serious, fatal, tuple(products)), []
