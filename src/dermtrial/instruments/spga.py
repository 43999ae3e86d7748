"""Static Physician's Global Assessment (sPGA), 0 clear, 1 almost clear, 2 mild, 3 moderate, 4 severe.

Rule: the assessor's single whole-number grade 0–4; the result carries its category code and labels, read from
``data/spga.yaml`` (the protocol's 5-point version; other sPGA versions exist and are not this one).

Example::

    spga  label
    0     clear
    1     almost_clear
    3     moderate
    5     refused: must be a whole number 0–4
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dermtrial.instruments._metadata import InstrumentInfo, info_from_data, items_from_data
from dermtrial.instruments._reference import ReferenceDataError, load_reference
from dermtrial.instruments._types import Score0to4, StrictModel

_DATA = load_reference("spga")
VERSION: str = str(_DATA["version"])


@dataclass(frozen=True)
class SpgaGrade:
    """One sPGA category: score, code and labels."""

    score: int
    code: str
    label_en: str
    label_zh: str


GRADES: tuple[SpgaGrade, ...] = tuple(
    SpgaGrade(int(g["score"]), str(g["code"]), str(g["label_en"]), str(g["label_zh"])) for g in _DATA["grades"]
)
if [g.score for g in GRADES] != list(range(5)):
    raise ReferenceDataError("spga.yaml: grades must be 0, 1, 2, 3, 4 in order")


class SpgaInput(StrictModel):
    """An sPGA assessment."""

    spga: Score0to4
    """The grade, 0 clear – 4 severe."""


@dataclass(frozen=True)
class SpgaResult:
    """The sPGA grade with its category and the scoring version."""

    grade: SpgaGrade
    version: str = VERSION

    def to_json(self) -> dict[str, Any]:
        """The ``dermtrial score spga`` output object."""
        return {"spga": self.grade.score, "label": self.grade.code, "version": self.version}


def score_spga(assessment: SpgaInput) -> SpgaResult:
    """The sPGA category of a grade 0–4."""
    return SpgaResult(GRADES[assessment.spga])


METADATA: InstrumentInfo = info_from_data(
    _DATA,
    name="spga",
    title="Static Physician's Global Assessment",
    items=items_from_data(_DATA["items"], "spga.yaml"),
)
