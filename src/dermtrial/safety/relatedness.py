"""Relatedness (causality) of an adverse event to each study product, assessed separately per product.

The investigator picks one category per product, coded as in the protocol's ``relatedness`` code list. ICH E2A calls
a reaction "related" when a causal relationship is at least a reasonable possibility; dermtrial counts ``POSSIBLE``,
``PROBABLE`` and ``DEFINITE`` as related and ``NOT_RELATED`` and ``UNLIKELY`` as not related (the usual reading of
the five-point scale).
"""

from __future__ import annotations

RELATEDNESS: tuple[str, ...] = ("NOT_RELATED", "UNLIKELY", "POSSIBLE", "PROBABLE", "DEFINITE")
"""The categories, from least to most likely."""
RELATED: frozenset[str] = frozenset({"POSSIBLE", "PROBABLE", "DEFINITE"})
"""The categories that count as related (a reasonable possibility)."""


def check_relatedness(category: str) -> str | None:
    """None when ``category`` is allowed; otherwise the message naming what is allowed."""
    if category in RELATEDNESS:
        return None
    return f'"{category}" is not a relatedness category: allowed are {", ".join(RELATEDNESS)}'


def is_related(category: str) -> bool:
    """True when the category counts as related (POSSIBLE, PROBABLE, DEFINITE)."""
    return category in RELATED
