"""Expectedness of an adverse event for one study product, against that product's reference safety information.

The reference safety information is data in the protocol file: ``interventions[].expected_adverse_events``, a list of
CTCAE terms (calcipotriol: hypercalcaemia, pruritus, …). An event is expected for a product when its CTCAE term is on
that product's list (compared without regard to case or surrounding spaces); it is judged product by product, so the
same event may be expected for one product and unexpected for another.
"""

from __future__ import annotations

from dermtrial.protocol.model import Intervention


def _key(term: str) -> str:
    return " ".join(term.split()).casefold()


def is_expected(term: str, product: Intervention) -> bool:
    """True when ``term`` is in the product's reference safety information."""
    return _key(term) in {_key(expected) for expected in product.expected_adverse_events}
