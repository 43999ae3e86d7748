"""Every pair of one-decimal PASI values gets the responder flags that exact rational arithmetic gives.

Baseline 0.1–72.0 and follow-up 0.0–72.0 in steps of 0.1: 720 × 721 = 519,120 pairs, compared in whole tenths
against ``Fraction`` arithmetic written independently of the scorer; a sample also goes through the model.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from dermtrial.instruments.pasi_response import (
    RESPONSE_THRESHOLDS,
    PasiPair,
    is_responder,
    score_pasi_response,
)


@pytest.mark.requirement("CLIN-RESP-02")
def test_every_one_decimal_pair_gets_the_exact_responder_flags() -> None:
    mismatches = []
    pairs = 0
    float_disagreements = 0
    for baseline in range(1, 721):
        for followup in range(721):
            pairs += 1
            improvement = Fraction(100 * (baseline - followup), baseline)
            for threshold in RESPONSE_THRESHOLDS:
                expected = improvement >= threshold
                if is_responder(baseline, followup, threshold) != expected:
                    mismatches.append((baseline, followup, threshold))
                if threshold == 75 and ((baseline / 10 - followup / 10) / (baseline / 10) * 100 >= 75) != expected:
                    float_disagreements += 1
    assert pairs == 720 * 721
    assert mismatches == []
    # The exact rule matters: naive floats get PASI75 wrong for some of these pairs (11.2 → 2.8 among them).
    assert float_disagreements > 0


def test_a_sample_of_pairs_through_the_validated_path_agrees() -> None:
    for baseline in range(1, 721, 7):
        for followup in range(0, 721, 11):
            result = score_pasi_response(
                PasiPair(baseline=Decimal(baseline).scaleb(-1), followup=Decimal(followup).scaleb(-1))
            )
            improvement = Fraction(100 * (baseline - followup), baseline)
            assert result.improvement == improvement
            assert result.responders == {t: improvement >= t for t in RESPONSE_THRESHOLDS}
