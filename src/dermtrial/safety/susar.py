"""SUSAR: a suspected unexpected serious adverse reaction, decided product by product.

An event is a SUSAR for a product when it is serious and, **for that same product**, related and unexpected
(ICH E2A II.A/B; EU CT-3). An event related to calcipotriol and expected for it (hypercalcaemia is on its label) is not
a SUSAR even when the same event would be unexpected for the cell product, unless it is also related to the cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ProductAssessment:
    """Relatedness and expectedness of one event for one product."""

    product: str
    related: bool
    expected: bool


def susar_products(serious: bool, products: Sequence[ProductAssessment]) -> list[str]:
    """The products for which the event is a SUSAR (serious, and related and unexpected for that product), in order."""
    if not serious:
        return []
    return [p.product for p in products if p.related and not p.expected]
