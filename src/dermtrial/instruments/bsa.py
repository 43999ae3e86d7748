"""Body surface area (BSA) involved by psoriasis, in percent (0–100).

Rule, in words: the assessor records either the percentage itself (``percent``) or the involved area in the
patient's own palms (``palms``), each palm counting as 1 % of the body surface (``data/bsa.yaml``). Whether "a
palm" includes the fingers is a protocol setting, recorded with the result as ``palm_includes_fingers`` (null
when not stated). The value is exact (a ``Decimal``); more than 100 % is refused.

Example::

    input                                     bsa_percent
    {"percent": 12.5}                         12.5
    {"palms": 8, "palm_includes_fingers": true}   8
    {"palms": 101}                            refused: more than 100 %
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import model_validator

from dermtrial.instruments._metadata import InstrumentInfo, info_from_data, items_from_data
from dermtrial.instruments._reference import load_reference
from dermtrial.instruments._types import OptionalPercent, StrictModel

_DATA = load_reference("bsa")
PALM_PERCENT: Decimal = Decimal(str(_DATA["palm_percent"]))
VERSION: str = str(_DATA["version"])


class BsaInput(StrictModel):
    """A BSA assessment: exactly one of ``percent`` and ``palms``."""

    percent: OptionalPercent = None
    """Percentage of the body surface involved, 0–100."""
    palms: OptionalPercent = None
    """Involved area counted in the patient's palms (1 % each), 0–100."""
    palm_includes_fingers: bool | None = None
    """The protocol's palm convention: true, false, or null when not stated."""

    @model_validator(mode="after")
    def _one_measure(self) -> BsaInput:
        if (self.percent is None) == (self.palms is None):
            raise ValueError("give exactly one of percent (0–100) or palms (0–100 palms)")
        if self.palms is not None and self.palms * PALM_PERCENT > 100:
            raise ValueError(f"{self.palms} palms × {PALM_PERCENT} % is more than 100 %")
        return self


@dataclass(frozen=True)
class BsaResult:
    """BSA in percent, how it was measured, the palm convention and the scoring version."""

    percent: Decimal
    method: Literal["percent", "palms"]
    palm_includes_fingers: bool | None
    version: str = VERSION

    def to_json(self) -> dict[str, Any]:
        """The ``dermtrial score bsa`` output object."""
        return {
            "bsa_percent": float(self.percent),
            "method": self.method,
            "palm_includes_fingers": self.palm_includes_fingers,
            "version": self.version,
        }


def score_bsa(measure: BsaInput) -> BsaResult:
    """BSA in percent from a percentage or a palm count; see the module docstring."""
    if measure.percent is not None:
        return BsaResult(measure.percent, "percent", measure.palm_includes_fingers)
    assert measure.palms is not None  # guaranteed by the validator
    return BsaResult(measure.palms * PALM_PERCENT, "palms", measure.palm_includes_fingers)


METADATA: InstrumentInfo = info_from_data(
    _DATA, name="bsa", title="Body surface area involved", items=items_from_data(_DATA["items"], "bsa.yaml")
)
