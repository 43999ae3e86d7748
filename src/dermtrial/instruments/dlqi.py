"""Dermatology Life Quality Index (DLQI): total 0–30 and band, with the instrument's own answer rules.

Rules, in words (Finlay & Khan 1994; bands Hongbo et al. 2005; all numbers from ``data/dlqi.yaml``):

- Ten items, each scored 0–3. Items 3–10 may be answered "not relevant" (``"not_relevant"``), which scores 0;
  items 1 and 2 have no such answer and refuse it.
- Item 7 has two parts: the yes/no part (``q7.prevented``: ``"yes"``, ``"no"``, ``"not_relevant"``) and a
  follow-up asked only after "no" (``q7.problem``: 0 not at all, 1 a little, 2 a lot). Item 7 scores 3 for
  "yes", the follow-up for "no", 0 for "not relevant". dermtrial's reading of the edge cases, each raising a
  flag for a query: "no" with the follow-up unanswered makes item 7 unanswered (``followup_unanswered``); a
  follow-up answered after "yes" or "not relevant" is ignored (``followup_ignored``); a follow-up answered
  with the yes/no part unanswered leaves item 7 unanswered (``followup_without_answer``): the screen asks, the
  scorer does not guess "no".
- An unanswered item is ``null``. One unanswered item scores 0 and the total is still given; two or more make
  the total **not computable**. Every unanswered item is flagged (``unanswered``).
- Bands: 0–1 no effect, 2–5 small, 6–10 moderate, 11–20 very large, 21–30 extremely large.

The DLQI wording is copyright; dermtrial ships item codes (CDISC QRS DLQI101–DLQI110, DLQI107A) and neutral
topic placeholders only. A site's licensed text is loaded with
:func:`dermtrial.instruments.licensed_text.parse_licensed_text`.

Example::

    q1 q2 q3 q4 q5 q6 q7            q8 q9   q10   total  band
    3  2  1  NR 0  0  yes           1  0    2     12     very_large
    1  1  0  0  0  0  no, a little  0  NR   0     3      small
    1  1  0  0  0  0  no, a little  0  null 0     3      small (one unanswered scores 0, flagged)
    1  1  null 0 0 0  NR            0  null 0     not computable: items 3, 9 unanswered
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated, Any, Literal, cast

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from dermtrial.instruments._metadata import InstrumentInfo, info_from_data, items_from_data
from dermtrial.instruments._reference import ReferenceDataError, load_reference
from dermtrial.instruments._types import OptionalScore0to2, StrictModel, choice, optional

_DATA = load_reference("dlqi")
VERSION: str = str(_DATA["version"])
ITEM_COUNT: int = int(_DATA["item_count"])
HIGH: int = int(_DATA["answer"]["high"])
NOT_RELEVANT_ITEMS: frozenset[int] = frozenset(int(i) for i in _DATA["not_relevant_items"])
ITEM7_YES: int = int(_DATA["item7_yes_score"])
MAX_UNANSWERED_SCORED_ZERO: int = int(_DATA["max_unanswered_scored_zero"])
NOT_RELEVANT = "not_relevant"

Band = Literal["no_effect", "small", "moderate", "very_large", "extremely_large"]
BANDS: tuple[tuple[Band, int, int], ...] = tuple(
    (cast("Band", b["band"]), int(b["low"]), int(b["high"])) for b in _DATA["bands"]
)
if BANDS[0][1] != 0 or BANDS[-1][2] != ITEM_COUNT * HIGH:
    raise ReferenceDataError("dlqi.yaml: the bands must run from 0 to the maximum total")
if any(after[1] != before[2] + 1 for before, after in pairwise(BANDS)):
    raise ReferenceDataError("dlqi.yaml: the bands must be contiguous")

DlqiProblem = Literal["unanswered", "followup_unanswered", "followup_ignored", "followup_without_answer"]


def _answer(allow_not_relevant: bool) -> Callable[[object], object]:
    if allow_not_relevant:
        rule = f'must be a whole number 0–{HIGH}, "{NOT_RELEVANT}" or null'
    else:
        rule = f'must be a whole number 0–{HIGH} or null ("{NOT_RELEVANT}" is not an answer to this item)'

    def check(value: object) -> object:
        if value is None or (type(value) is int and 0 <= value <= HIGH):
            return value
        if allow_not_relevant and value == NOT_RELEVANT:
            return value
        raise PydanticCustomError("dlqi_answer", rule)

    return check


_ITEM_SCHEMA: dict[str, Any] = {"type": ["integer", "null"], "minimum": 0, "maximum": HIGH}
_ITEM_NR_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "integer", "minimum": 0, "maximum": HIGH}, {"const": NOT_RELEVANT}, {"type": "null"}]
}
Answer = Annotated[int | None, BeforeValidator(_answer(False)), WithJsonSchema(_ITEM_SCHEMA)]
AnswerOrNotRelevant = Annotated[
    int | Literal["not_relevant"] | None, BeforeValidator(_answer(True)), WithJsonSchema(_ITEM_NR_SCHEMA)
]


def _item7_or_null(value: object) -> object:
    return {"prevented": None} if value is None else value


class DlqiItem7(StrictModel):
    """Item 7: the yes/no part and the follow-up asked after "no"."""

    prevented: Annotated[
        Literal["yes", "no", "not_relevant"] | None,
        BeforeValidator(optional(choice("yes", "no", NOT_RELEVANT))),
    ]
    """Yes/no part (CDISC DLQI107): ``"yes"``, ``"no"``, ``"not_relevant"`` or null (unanswered)."""
    problem: OptionalScore0to2 = None
    """Follow-up after "no" (CDISC DLQI107A): 0 not at all, 1 a little, 2 a lot, or null."""


class DlqiAnswers(StrictModel):
    """The ten DLQI answers as ticked; every key is required and ``null`` marks an unanswered item."""

    q1: Answer
    q2: Answer
    q3: AnswerOrNotRelevant
    q4: AnswerOrNotRelevant
    q5: AnswerOrNotRelevant
    q6: AnswerOrNotRelevant
    q7: Annotated[DlqiItem7, BeforeValidator(_item7_or_null)]
    """An object ``{"prevented": ..., "problem": ...}``; ``null`` is the same as ``{"prevented": null}``."""
    q8: AnswerOrNotRelevant
    q9: AnswerOrNotRelevant
    q10: AnswerOrNotRelevant


_MODEL_NOT_RELEVANT = frozenset(
    int(name[1:]) for name, field in DlqiAnswers.model_fields.items() if field.annotation != int | None
)
if _MODEL_NOT_RELEVANT != NOT_RELEVANT_ITEMS:
    raise ReferenceDataError("dlqi.yaml: not_relevant_items disagrees with the items that accept not_relevant")


@dataclass(frozen=True)
class DlqiFlag:
    """An answer the screen turns into a query."""

    item: str
    problem: DlqiProblem


@dataclass(frozen=True)
class DlqiResult:
    """DLQI total and band (or why not computable), the ten item scores, unanswered items and flags."""

    total: int | None
    band: Band | None
    item_scores: tuple[int | None, ...]
    """Score of items 1–10 in order; None for an unanswered item."""
    unanswered: tuple[int, ...]
    flags: tuple[DlqiFlag, ...]
    not_computable: str | None = None
    version: str = VERSION

    def to_json(self) -> dict[str, Any]:
        """The ``dermtrial score dlqi`` output object."""
        out: dict[str, Any] = {
            "total": self.total,
            "band": self.band,
            "items": list(self.item_scores),
            "unanswered": list(self.unanswered),
            "flags": [{"item": f.item, "problem": f.problem} for f in self.flags],
            "version": self.version,
        }
        if self.not_computable is not None:
            out["not_computable"] = self.not_computable
        return out


def dlqi_band(total: int) -> Band:
    """The score band of a total 0–30."""
    for band, low, high in BANDS:
        if low <= total <= high:
            return band
    raise ValueError(f"a DLQI total of {total} is outside 0–{ITEM_COUNT * HIGH}")


def _item7(answer: DlqiItem7, flags: list[DlqiFlag]) -> int | None:
    if answer.prevented == "yes" or answer.prevented == NOT_RELEVANT:
        if answer.problem is not None:
            flags.append(DlqiFlag("q7.problem", "followup_ignored"))
        return ITEM7_YES if answer.prevented == "yes" else 0
    if answer.prevented == "no":
        if answer.problem is None:
            flags.append(DlqiFlag("q7.problem", "followup_unanswered"))
        return answer.problem
    if answer.problem is not None:
        flags.append(DlqiFlag("q7.prevented", "followup_without_answer"))
    return None


def score_dlqi(answers: DlqiAnswers) -> DlqiResult:
    """Score one DLQI; see the module docstring for the rules."""
    flags: list[DlqiFlag] = []
    scores: list[int | None] = []
    for number in range(1, ITEM_COUNT + 1):
        value = getattr(answers, f"q{number}")
        if number == 7:
            scores.append(_item7(value, flags))
        else:
            scores.append(0 if value == NOT_RELEVANT else value)
    unanswered = tuple(number for number, s in enumerate(scores, start=1) if s is None)
    flags = [DlqiFlag(f"q{n}", "unanswered") for n in unanswered] + flags
    if len(unanswered) > MAX_UNANSWERED_SCORED_ZERO:
        numbers = ", ".join(str(n) for n in unanswered)
        return DlqiResult(
            total=None,
            band=None,
            item_scores=tuple(scores),
            unanswered=unanswered,
            flags=tuple(flags),
            not_computable=f"items {numbers} unanswered; the DLQI total is missing when two or more "
            "items are unanswered",
        )
    total = sum(s for s in scores if s is not None)
    return DlqiResult(
        total=total,
        band=dlqi_band(total),
        item_scores=tuple(scores),
        unanswered=unanswered,
        flags=tuple(flags),
    )


METADATA: InstrumentInfo = info_from_data(
    _DATA,
    name="dlqi",
    title="Dermatology Life Quality Index",
    items=items_from_data(_DATA["items"], "dlqi.yaml"),
)
