"""PASI improvement and response (PASI50, PASI75, PASI90, PASI100), decided with exact arithmetic.

Formula, in words: improvement % = (baseline PASI − follow-up PASI) ÷ baseline PASI × 100. It is negative when
the follow-up is worse, at most 100 (follow-up 0), and **not computable** when the baseline is 0 (the result
says why; it is never 0). A subject is a PASIxx responder when improvement ≥ xx %; the thresholds (50, 75, 90,
100) are read from ``data/pasi.yaml``.

Both PASI values have at most one decimal, so the comparison is made on whole tenths B and W without any
division: responder ⇔ ``100 × (B − W) ≥ xx × B``. A float division would call 11.2 → 2.8 (exactly 75 %) a
non-responder.

Example::

    baseline  follow-up  improvement %   PASI50 PASI75 PASI90 PASI100
    11.2      2.8        75              yes    yes    no     no       (exactly on the PASI75 edge)
    20.0      2.0        90              yes    yes    yes    no
    10.0      10.5       -5              no     no     no     no       (worse)
    12.3      0.0        100             yes    yes    yes    yes
    0.0       0.0        not computable: the baseline PASI is 0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dermtrial.instruments._metadata import InstrumentInfo, ItemInfo, info_from_data
from dermtrial.instruments._reference import load_reference
from dermtrial.instruments._types import PasiValue, StrictModel

_DATA = load_reference("pasi")

RESPONSE_THRESHOLDS: tuple[int, ...] = tuple(int(t) for t in _DATA["response_thresholds"])
"""Improvement thresholds in whole percent: PASI50, PASI75, PASI90, PASI100."""
VERSION: str = str(_DATA["version"])
BASELINE_ZERO = "the baseline PASI is 0, so an improvement relative to it is undefined"


class PasiPair(StrictModel):
    """A baseline PASI and a follow-up PASI of the same subject, each 0–72 with at most one decimal."""

    baseline: PasiValue
    """PASI at baseline (the last one on or before day 1, before the first dose)."""
    followup: PasiValue
    """PASI at the follow-up visit (week 12 for the primary endpoint)."""


@dataclass(frozen=True)
class PasiResponseResult:
    """Exact improvement (a fraction of percent) and the responder flags, or the reason they are not
    computable."""

    improvement: Fraction | None
    """Improvement in percent, exact; None when not computable."""
    responders: Mapping[int, bool] | None
    """Threshold (50, 75, 90, 100) → responder; None when not computable."""
    not_computable: str | None = None
    version: str = VERSION

    def to_json(self) -> dict[str, Any]:
        """The ``dermtrial score pasi-response`` output object."""
        out: dict[str, Any] = {
            "improvement_percent": None if self.improvement is None else float(self.improvement),
        }
        for threshold in RESPONSE_THRESHOLDS:
            out[f"pasi{threshold}"] = None if self.responders is None else self.responders[threshold]
        if self.not_computable is not None:
            out["not_computable"] = self.not_computable
        return out


def is_responder(baseline_tenths: int, followup_tenths: int, threshold: int) -> bool:
    """``100 × (B − W) ≥ threshold × B`` on whole tenths; the baseline must be above 0."""
    if baseline_tenths <= 0:
        raise ValueError("the baseline PASI must be above 0 to decide a response")
    return 100 * (baseline_tenths - followup_tenths) >= threshold * baseline_tenths


def score_pasi_response(pair: PasiPair) -> PasiResponseResult:
    """Improvement % and PASI50/75/90/100 from a baseline/follow-up pair; see the module docstring."""
    baseline = int(pair.baseline * 10)
    followup = int(pair.followup * 10)
    if baseline == 0:
        return PasiResponseResult(improvement=None, responders=None, not_computable=BASELINE_ZERO)
    return PasiResponseResult(
        improvement=Fraction(100 * (baseline - followup), baseline),
        responders={t: is_responder(baseline, followup, t) for t in RESPONSE_THRESHOLDS},
    )


METADATA: InstrumentInfo = info_from_data(
    _DATA,
    name="pasi-response",
    title="PASI improvement and response",
    items=(
        ItemInfo("baseline", "Baseline PASI", "基线PASI", "0–72, one decimal"),
        ItemInfo("followup", "Follow-up PASI", "随访PASI", "0–72, one decimal"),
    ),
)
