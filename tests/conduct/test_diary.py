"""Diary compliance: applications done ÷ expected."""

from __future__ import annotations

from decimal import Decimal

from dermtrial.conduct import expected_applications, score_diary_compliance


def test_bid_for_14_days_expects_28() -> None:
    assert expected_applications(14, "BID") == 28
    assert expected_applications(14, "PRN") is None


def test_compliance_is_rounded_half_up_to_a_tenth() -> None:
    assert score_diary_compliance(26, 28).percent == Decimal("92.9")
    assert score_diary_compliance(28, 28).percent == Decimal("100.0")


def test_nothing_expected_is_not_computable() -> None:
    result = score_diary_compliance(0, 0)
    assert result.percent is None
    assert result.reason
