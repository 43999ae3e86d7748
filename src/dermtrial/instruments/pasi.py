"""Psoriasis Area and Severity Index (PASI), scored exactly in tenths.

Formula, in words: for each of the four body regions, add the three sign scores (erythema, induration,
desquamation, each a whole number 0–4), multiply by the region's area score (0–6) and by the region's weight
(head and neck 0.1, upper limbs 0.2, trunk 0.3, lower limbs 0.4, buttocks included); the PASI is the sum over
the regions, 0–72, with at most one decimal. The area score comes either straight from the assessor (``area``,
0–6) or from the percentage of *that region* involved (``area_percent``, 0–100) through the half-open bands of
``data/pasi.yaml``.

Source: Fredriksson & Pettersson 1978, as restated in the protocol facts; weights and bands are read from
``data/pasi.yaml`` and never repeated here. The arithmetic is integer tenths (weight × 10), so 21.9 is exactly
21.9.

Inconsistent regions are scored by the formula all the same and returned with a flag for a data query:
``signs_without_area`` (area 0 with a sign above 0: contributes 0) and ``area_without_signs`` (area above 0
with every sign 0: contributes 0).

Example (weights × (E+I+D) × area = tenths)::

    region        E I D  area  tenths       subscore
    head          2 1 2   3    1×5×3 = 15    1.5
    upper_limbs   1 1 1   2    2×3×2 = 12    1.2
    trunk         2 2 2   0    3×6×0 = 0     0.0   flag signs_without_area
    lower_limbs   3 3 2   4    4×8×4 = 128  12.8
    PASI                             155    15.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal

from pydantic import model_validator

from dermtrial.instruments._metadata import InstrumentInfo, ItemInfo, info_from_data
from dermtrial.instruments._reference import ReferenceDataError, load_reference, require
from dermtrial.instruments._types import OptionalPercent, OptionalScore0to6, Score0to4, StrictModel

_DATA = load_reference("pasi")


@dataclass(frozen=True)
class AreaBand:
    """One row of the area table: ``score`` for a percentage between ``low`` and ``high`` (inclusive as
    stated)."""

    score: int
    low: Decimal
    low_inclusive: bool
    high: Decimal
    high_inclusive: bool

    def contains(self, percent: Decimal) -> bool:
        above = percent >= self.low if self.low_inclusive else percent > self.low
        below = percent <= self.high if self.high_inclusive else percent < self.high
        return above and below


def _weights_in_tenths(data: Mapping[str, Any]) -> dict[str, int]:
    weights: dict[str, int] = {}
    for region in require(dict(data), "regions", "pasi.yaml"):
        tenths = Decimal(str(region["weight"])) * 10
        if tenths != tenths.to_integral_value():
            raise ReferenceDataError(f"pasi.yaml: weight {region['weight']} of {region['code']} is not whole tenths")
        weights[str(region["code"])] = int(tenths)
    if sum(weights.values()) != 10:
        raise ReferenceDataError("pasi.yaml: the region weights must add up to 1")
    return weights


def _bands(data: Mapping[str, Any]) -> tuple[AreaBand, ...]:
    rows = require(dict(data), "area", "pasi.yaml")["bands"]
    bands = tuple(
        AreaBand(
            score=int(row["score"]),
            low=Decimal(str(row["low"])),
            low_inclusive=bool(row["low_inclusive"]),
            high=Decimal(str(row["high"])),
            high_inclusive=bool(row["high_inclusive"]),
        )
        for row in rows
    )
    # The bands must tile 0–100 without gap or overlap, in score order 0, 1, 2, ...
    if [b.score for b in bands] != list(range(len(bands))):
        raise ReferenceDataError("pasi.yaml: area band scores must run 0, 1, 2, ... in order")
    if not (bands[0].low == 0 and bands[0].low_inclusive and bands[-1].high == 100 and bands[-1].high_inclusive):
        raise ReferenceDataError("pasi.yaml: the area bands must start at 0 % and end at 100 %, both included")
    for before, after in pairwise(bands):
        if before.high != after.low or before.high_inclusive == after.low_inclusive:
            raise ReferenceDataError(f"pasi.yaml: area bands {before.score} and {after.score} leave a gap or overlap")
    return bands


REGION_WEIGHT_TENTHS: Mapping[str, int] = _weights_in_tenths(_DATA)
"""Region code → weight × 10, in questionnaire order: head, upper_limbs, trunk, lower_limbs."""
REGIONS: tuple[str, ...] = tuple(REGION_WEIGHT_TENTHS)
SIGNS: tuple[str, ...] = tuple(str(s["code"]) for s in _DATA["signs"]["items"])
AREA_BANDS: tuple[AreaBand, ...] = _bands(_DATA)
MAX_SIGN: int = int(_DATA["signs"]["high"])
MAX_AREA: int = AREA_BANDS[-1].score
MAX_TENTHS: int = sum(REGION_WEIGHT_TENTHS.values()) * MAX_SIGN * len(SIGNS) * MAX_AREA
"""720: the PASI maximum, 72.0, in tenths."""
VERSION: str = str(_DATA["version"])

PasiProblem = Literal["signs_without_area", "area_without_signs"]


def area_score(percent: Decimal) -> int:
    """The area score 0–6 for the percentage of a region involved (exact; 0–100 already checked by the
    model)."""
    for band in AREA_BANDS:
        if band.contains(percent):
            return band.score
    raise ValueError(f"area_percent {percent} is outside 0–100")


class PasiRegion(StrictModel):
    """The assessor's scores for one body region. Give exactly one of ``area`` and ``area_percent``."""

    erythema: Score0to4
    """Redness, 0 none – 4 very severe."""
    induration: Score0to4
    """Plaque thickness, 0 none – 4 very severe."""
    desquamation: Score0to4
    """Scaling, 0 none – 4 very severe."""
    area: OptionalScore0to6 = None
    """Area score 0–6, when the assessor records the score itself."""
    area_percent: OptionalPercent = None
    """Percentage of this region involved, 0–100, converted to the area score with the half-open bands."""

    @model_validator(mode="after")
    def _one_area(self) -> PasiRegion:
        if (self.area is None) == (self.area_percent is None):
            raise ValueError("give exactly one of area (a whole number 0–6) or area_percent (a number 0–100)")
        return self

    @property
    def area_score(self) -> int:
        """The area score 0–6, given or converted from ``area_percent``."""
        if self.area is not None:
            return self.area
        assert self.area_percent is not None  # guaranteed by the validator
        return area_score(self.area_percent)


class PasiItems(StrictModel):
    """A complete PASI assessment: the four regions."""

    head: PasiRegion
    """Head and neck (weight 0.1)."""
    upper_limbs: PasiRegion
    """Arms and hands (weight 0.2)."""
    trunk: PasiRegion
    """Trunk (weight 0.3)."""
    lower_limbs: PasiRegion
    """Legs, feet and buttocks (weight 0.4)."""


@dataclass(frozen=True)
class PasiFlag:
    """An inconsistent region, scored by the formula and raised as a query."""

    region: str
    problem: PasiProblem


@dataclass(frozen=True)
class PasiResult:
    """A PASI total and its region subscores, in exact tenths, with the flags and the scoring version."""

    tenths: int
    region_tenths: Mapping[str, int]
    area_scores: Mapping[str, int]
    flags: tuple[PasiFlag, ...]
    version: str = VERSION

    @property
    def value(self) -> Decimal:
        """The PASI as an exact one-decimal number, e.g. ``Decimal('21.9')``."""
        return tenths_to_decimal(self.tenths)

    def to_json(self) -> dict[str, Any]:
        """The ``dermtrial score pasi`` output object."""
        return {
            "pasi": self.tenths / 10,
            "regions": {region: tenths / 10 for region, tenths in self.region_tenths.items()},
            "flags": [{"region": f.region, "problem": f.problem} for f in self.flags],
            "version": self.version,
        }


def tenths_to_decimal(tenths: int) -> Decimal:
    """``219`` → ``Decimal('21.9')``."""
    return Decimal(tenths).scaleb(-1)


def _region_flag(region: str, signs: int, area: int) -> PasiFlag | None:
    if area == 0 and signs > 0:
        return PasiFlag(region, "signs_without_area")
    if area > 0 and signs == 0:
        return PasiFlag(region, "area_without_signs")
    return None


def score_pasi(items: PasiItems) -> PasiResult:
    """Score one PASI assessment exactly; see the module docstring for the formula and the flags."""
    region_tenths: dict[str, int] = {}
    area_scores: dict[str, int] = {}
    flags: list[PasiFlag] = []
    for region, weight in REGION_WEIGHT_TENTHS.items():
        scores: PasiRegion = getattr(items, region)
        signs = scores.erythema + scores.induration + scores.desquamation
        area = scores.area_score
        region_tenths[region] = weight * signs * area
        area_scores[region] = area
        flag = _region_flag(region, signs, area)
        if flag is not None:
            flags.append(flag)
    return PasiResult(
        tenths=sum(region_tenths.values()),
        region_tenths=region_tenths,
        area_scores=area_scores,
        flags=tuple(flags),
    )


# Fast path for batches of already-checked rows: product table indexed by [region][E+I+D][area], in tenths.
_PRODUCT_TENTHS: tuple[tuple[tuple[int, ...], ...], ...] = tuple(
    tuple(tuple(weight * signs * area for area in range(MAX_AREA + 1)) for signs in range(3 * MAX_SIGN + 1))
    for weight in REGION_WEIGHT_TENTHS.values()
)
_HEAD, _UPPER, _TRUNK, _LOWER = _PRODUCT_TENTHS


def pasi_tenths(row: Sequence[int]) -> int:
    """The PASI in tenths from 16 whole numbers: (E, I, D, area) for head, upper limbs, trunk, lower limbs.

    For bulk scoring of rows whose ranges are already checked (a store query, a simulation); the same table as
    :func:`score_pasi`, without the result object. ``pasi_tenths([2, 1, 2, 3] + [0] * 12) == 15``.
    """
    return (
        _HEAD[row[0] + row[1] + row[2]][row[3]]
        + _UPPER[row[4] + row[5] + row[6]][row[7]]
        + _TRUNK[row[8] + row[9] + row[10]][row[11]]
        + _LOWER[row[12] + row[13] + row[14]][row[15]]
    )


def _metadata() -> InstrumentInfo:
    sign_labels = {str(s["code"]): s for s in _DATA["signs"]["items"]}
    area = _DATA["area"]
    items: list[ItemInfo] = []
    for region in _DATA["regions"]:
        code = str(region["code"])
        for sign in SIGNS:
            label = sign_labels[sign]
            items.append(
                ItemInfo(
                    code=f"{code}.{sign}",
                    label_en=f"{region['label_en']}: {label['label_en']}",
                    label_zh=f"{region['label_zh']}：{label['label_zh']}",
                    allowed=f"0–{MAX_SIGN}",
                )
            )
        items.append(
            ItemInfo(
                code=f"{code}.area",
                label_en=f"{region['label_en']}: {area['label_en']}",
                label_zh=f"{region['label_zh']}：{area['label_zh']}",
                allowed=f"0–{MAX_AREA}, or area_percent 0–100",
            )
        )
    return info_from_data(_DATA, name="pasi", title="Psoriasis Area and Severity Index", items=tuple(items))


METADATA: InstrumentInfo = _metadata()
