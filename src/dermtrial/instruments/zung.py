"""Zung Self-rating Anxiety Scale (SAS) and Self-rating Depression Scale (SDS): raw score, index and band.

Formula, in words: 20 answers, each 1–4, in questionnaire order. The items worded in the positive direction
are reverse-scored (answer a counts 5 − a): SAS items 5, 9, 13, 17, 19; SDS items 2, 5, 6, 11, 12, 14, 16, 17,
18, 20. The raw score is the sum, 20–80. The index (standard score) is raw × 1.25, made a whole number by the
protocol's conversion method, which is stored with every result:

- ``integer_part`` (the default, the usual Chinese rule): drop the fraction, ``raw × 125 // 100``;
- ``round_half_up``: a fraction of .5 or more goes up, ``(raw × 125 + 50) // 100``.

The band follows the Chinese norm on the whole-number index: SAS normal < 50, mild 50–59, moderate 60–69,
severe ≥ 70; SDS normal < 53, mild 53–62, moderate 63–72, severe ≥ 73. The band is a description; the
eligibility criterion (SAS > 50 or SDS > 53 excludes) is a separate rule that reads the index.

An unanswered item (``null``) makes the scale **not computable**, with the item numbers in the reason: the
Zung scales have no rule for missing answers, so the screen raises a query instead of guessing.

Reverse items, bands and conversions are read from ``data/zung.yaml`` (source: Zung 1965, 1971; Chinese
norms).

Example (SDS, the eligibility edge)::

    raw   raw × 1.25   integer_part        round_half_up
    42    52.5         52 normal           53 mild
    43    53.75        53 mild (eligible)  54 mild (excluded: > 53)
    44    55.0         55 mild             55 mild
    20    25.0         25 normal           25 normal
    80    100.0        100 severe          100 severe
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any, Literal, cast

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from dermtrial.instruments._metadata import InstrumentInfo, ItemInfo, info_from_data
from dermtrial.instruments._reference import ReferenceDataError, load_reference
from dermtrial.instruments._types import OptionalScore1to4, StrictModel, choice

_DATA = load_reference("zung")

Scale = Literal["sas", "sds"]
Conversion = Literal["integer_part", "round_half_up"]
Band = Literal["normal", "mild", "moderate", "severe"]

ITEM_COUNT: int = int(_DATA["items_per_scale"])
LOW: int = int(_DATA["answers"]["low"])
HIGH: int = int(_DATA["answers"]["high"])
CONVERSIONS: tuple[Conversion, ...] = cast("tuple[Conversion, ...]", tuple(_DATA["conversions"]))
DEFAULT_CONVERSION: Conversion = cast("Conversion", _DATA["default_conversion"])
VERSION: str = str(_DATA["version"])


@dataclass(frozen=True)
class ScaleRules:
    """The reference data of one Zung scale."""

    scale: Scale
    title: str
    reverse_items: frozenset[int]
    """Item numbers (1-based, questionnaire order) scored 5 − answer."""
    bands: tuple[tuple[Band, int, int], ...]
    """(band, lowest index, highest index), inclusive, covering 25–100."""


def _rules(scale: Scale) -> ScaleRules:
    data = _DATA["scales"][scale]
    reverse = frozenset(int(i) for i in data["reverse_items"])
    if not reverse <= set(range(1, ITEM_COUNT + 1)):
        raise ReferenceDataError(f"zung.yaml: {scale} reverse items must be item numbers 1–{ITEM_COUNT}")
    bands = tuple((cast("Band", b["band"]), int(b["low"]), int(b["high"])) for b in data["bands"])
    low, high = ITEM_COUNT * LOW * 125 // 100, ITEM_COUNT * HIGH * 125 // 100
    expected = low
    for _band, band_low, band_high in bands:
        if band_low != expected or band_high < band_low:
            raise ReferenceDataError(f"zung.yaml: {scale} bands must tile {low}–{high} without gaps")
        expected = band_high + 1
    if expected != high + 1:
        raise ReferenceDataError(f"zung.yaml: {scale} bands must end at {high}")
    return ScaleRules(scale=scale, title=str(data["title"]), reverse_items=reverse, bands=bands)


RULES: Mapping[Scale, ScaleRules] = {"sas": _rules("sas"), "sds": _rules("sds")}


def _twenty_answers(value: object) -> object:
    if not isinstance(value, list) or len(value) != ITEM_COUNT:
        got = f"{len(value)}" if isinstance(value, list) else "not a list"
        raise PydanticCustomError(
            "zung_items",
            "must be a list of exactly {count} answers ({low}–{high}, or null when unanswered) "
            "in questionnaire order; got {got}",
            {"count": ITEM_COUNT, "low": LOW, "high": HIGH, "got": got},
        )
    return value


class ZungAnswers(StrictModel):
    """The 20 answers of a Zung SAS or SDS form, and the protocol's index conversion method."""

    items: Annotated[list[OptionalScore1to4], BeforeValidator(_twenty_answers)]
    """Answers 1–4 in questionnaire order (item 1 first), as ticked: reverse scoring is applied by the scorer.
    ``null`` marks an unanswered item, which makes the scale not computable."""
    conversion: Annotated[Conversion, BeforeValidator(choice(*CONVERSIONS))] = DEFAULT_CONVERSION
    """How raw × 1.25 becomes a whole number: ``integer_part`` (default) or ``round_half_up``."""


@dataclass(frozen=True)
class ZungResult:
    """Raw score, index, band and conversion method of one Zung scale, or the reason it is not computable."""

    scale: Scale
    raw: int | None
    index: int | None
    conversion: Conversion
    band: Band | None
    unanswered: tuple[int, ...] = ()
    """Item numbers (1-based) left unanswered."""
    not_computable: str | None = None
    version: str = VERSION

    @property
    def exact_index(self) -> Fraction | None:
        """raw × 1.25 before conversion, e.g. ``Fraction(215, 4)`` (53.75) for raw 43."""
        return None if self.raw is None else Fraction(self.raw * 5, 4)

    def to_json(self) -> dict[str, Any]:
        """The ``dermtrial score zung-sas`` / ``zung-sds`` output object."""
        out: dict[str, Any] = {
            "raw": self.raw,
            "index": self.index,
            "conversion": self.conversion,
            "band": self.band,
        }
        if self.not_computable is not None:
            out["not_computable"] = self.not_computable
        return out


def zung_index(raw: int, conversion: Conversion = DEFAULT_CONVERSION) -> int:
    """raw × 1.25 as a whole number, in integer arithmetic: ``zung_index(43) == 53``, ``round_half_up`` gives
    54."""
    if conversion == "integer_part":
        return raw * 125 // 100
    if conversion == "round_half_up":
        return (raw * 125 + 50) // 100
    raise ValueError(f"conversion {conversion!r} is not one of {', '.join(CONVERSIONS)}")


def zung_band(scale: Scale, index: int) -> Band:
    """The Chinese-norm band of a whole-number index."""
    for band, low, high in RULES[scale].bands:
        if low <= index <= high:
            return band
    raise ValueError(f"a Zung index of {index} is outside 25–100")


def zung_raw(scale: Scale, answers: Sequence[int]) -> int:
    """The raw score 20–80 from 20 answers as ticked (1–4), reverse-scoring the scale's positive items."""
    reverse = RULES[scale].reverse_items
    return sum((LOW + HIGH - a) if number in reverse else a for number, a in enumerate(answers, start=1))


def _score(scale: Scale, answers: ZungAnswers) -> ZungResult:
    unanswered = tuple(number for number, a in enumerate(answers.items, start=1) if a is None)
    if unanswered:
        numbers = ", ".join(str(n) for n in unanswered)
        plural = "s" if len(unanswered) > 1 else ""
        return ZungResult(
            scale=scale,
            raw=None,
            index=None,
            conversion=answers.conversion,
            band=None,
            unanswered=unanswered,
            not_computable=f"item{plural} {numbers} unanswered; the Zung {scale.upper()} is scored only "
            f"with all {ITEM_COUNT} answers",
        )
    raw = zung_raw(scale, [a for a in answers.items if a is not None])
    index = zung_index(raw, answers.conversion)
    return ZungResult(scale=scale, raw=raw, index=index, conversion=answers.conversion, band=zung_band(scale, index))


def score_zung_sas(answers: ZungAnswers) -> ZungResult:
    """Score the Zung Self-rating Anxiety Scale; see the module docstring."""
    return _score("sas", answers)


def score_zung_sds(answers: ZungAnswers) -> ZungResult:
    """Score the Zung Self-rating Depression Scale; see the module docstring."""
    return _score("sds", answers)


def _metadata(scale: Scale) -> InstrumentInfo:
    rules = RULES[scale]
    items = tuple(
        ItemInfo(
            code=f"{scale.upper()}{number:02d}",
            label_en=f"{scale.upper()} item {number}" + (" (reverse-scored)" if number in rules.reverse_items else ""),
            label_zh=f"{scale.upper()} 第{number}题" + ("（反向计分）" if number in rules.reverse_items else ""),
            allowed=f"{LOW}–{HIGH}",
        )
        for number in range(1, ITEM_COUNT + 1)
    )
    return info_from_data(_DATA, name=f"zung-{scale}", title=rules.title, items=items)


METADATA_SAS: InstrumentInfo = _metadata("sas")
METADATA_SDS: InstrumentInfo = _metadata("sds")
