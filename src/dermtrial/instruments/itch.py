"""Pruritus (itch) intensity: an 11-point numerical rating scale (NRS, 0–10) or a 100 mm VAS.

Rule: exactly one of ``nrs`` (a whole number 0–10) and ``vas_mm`` (a distance 0–100 mm, exact decimal) is
given; the result keeps the scale it was measured on. The two scales are never converted into each other
(``data/itch.yaml``).

Example::

    input               scale   score  maximum
    {"nrs": 7}          nrs     7      10
    {"vas_mm": 63.5}    vas_mm  63.5   100
    {"nrs": 7.5}        refused: must be a whole number 0–10
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, WithJsonSchema, model_validator

from dermtrial.instruments._metadata import InstrumentInfo, info_from_data, items_from_data
from dermtrial.instruments._reference import load_reference
from dermtrial.instruments._types import StrictModel, exact_number, optional, whole_number

_DATA = load_reference("itch")
VERSION: str = str(_DATA["version"])
NRS_MAX: int = int(_DATA["scales"]["nrs"]["high"])
VAS_MAX: int = int(_DATA["scales"]["vas_mm"]["high"])

ItchScale = Literal["nrs", "vas_mm"]


class ItchInput(StrictModel):
    """An itch rating: exactly one of ``nrs`` and ``vas_mm``."""

    nrs: Annotated[
        int | None,
        BeforeValidator(optional(whole_number(0, NRS_MAX))),
        WithJsonSchema({"type": ["integer", "null"], "minimum": 0, "maximum": NRS_MAX}),
    ] = None
    """Numerical rating scale, whole number 0 (no itch) – 10 (worst imaginable)."""
    vas_mm: Annotated[
        Decimal | None,
        BeforeValidator(optional(exact_number(0, VAS_MAX))),
        WithJsonSchema({"type": ["number", "null"], "minimum": 0, "maximum": VAS_MAX}),
    ] = None
    """Visual analogue scale, millimetres from the left (no itch) end, 0–100."""

    @model_validator(mode="after")
    def _one_scale(self) -> ItchInput:
        if (self.nrs is None) == (self.vas_mm is None):
            raise ValueError("give exactly one of nrs (a whole number 0–10) or vas_mm (0–100)")
        return self


@dataclass(frozen=True)
class ItchResult:
    """The itch score on the scale it was measured on, with that scale's maximum."""

    scale: ItchScale
    score: int | Decimal
    maximum: int
    version: str = VERSION

    def to_json(self) -> dict[str, Any]:
        """The ``dermtrial score itch`` output object."""
        score = self.score if isinstance(self.score, int) else float(self.score)
        return {"scale": self.scale, "score": score, "maximum": self.maximum, "version": self.version}


def score_itch(rating: ItchInput) -> ItchResult:
    """The itch score and its scale; see the module docstring."""
    if rating.nrs is not None:
        return ItchResult("nrs", rating.nrs, NRS_MAX)
    assert rating.vas_mm is not None  # guaranteed by the validator
    return ItchResult("vas_mm", rating.vas_mm, VAS_MAX)


METADATA: InstrumentInfo = info_from_data(
    _DATA,
    name="itch",
    title="Pruritus intensity (NRS or VAS)",
    items=items_from_data(_DATA["items"], "itch.yaml"),
)
