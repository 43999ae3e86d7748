"""Statistics checked against independent computations: binomial tails, brute-force Walsh averages, hand sums."""

from __future__ import annotations

import math
import statistics
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dermtrial.analysis.output import round_float
from dermtrial.analysis.stats import EXACT, NORMAL, clopper_pearson, hodges_lehmann, summarize, wilcoxon_signed_rank


def binomial_cdf(k: int, n: int, p: float) -> float:
    return math.fsum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


@pytest.mark.parametrize("n", [1, 5, 8, 20])
def test_clopper_pearson_bounds_solve_the_binomial_tail_equations(n: int) -> None:
    for k in range(n + 1):
        interval = clopper_pearson(k, n)
        assert interval is not None
        low, high = interval
        if k == 0:
            assert low == 0.0
        else:  # P(X ≥ k | low) = 0.025
            assert 1 - binomial_cdf(k - 1, n, low) == pytest.approx(0.025, abs=1e-9)
        if k == n:
            assert high == 1.0
        else:  # P(X ≤ k | high) = 0.025
            assert binomial_cdf(k, n, high) == pytest.approx(0.025, abs=1e-9)


def test_clopper_pearson_closed_forms_at_0_and_8_of_8() -> None:
    assert clopper_pearson(0, 8) == (0.0, pytest.approx(1 - 0.025 ** (1 / 8), rel=1e-12))  # 0.36942
    assert clopper_pearson(8, 8) == (pytest.approx(0.025 ** (1 / 8), rel=1e-12), 1.0)  # 0.63058
    assert clopper_pearson(0, 0) is None


def test_summary_of_four_values_by_hand() -> None:
    summary = summarize([4.0, 1.0, 3.0, 2.0])
    # mean 2.5; SD √(5/3) = 1.29099; t(0.975, 3) = 3.182446305 (tables 3.182)
    half = 3.182446305284263 * math.sqrt(5 / 3) / 2
    assert (summary.n, summary.mean, summary.median, summary.min, summary.max) == (4, 2.5, 2.5, 1.0, 4.0)
    assert summary.sd == pytest.approx(math.sqrt(5 / 3), rel=1e-12)
    assert summary.ci95 == (pytest.approx(2.5 - half, rel=1e-12), pytest.approx(2.5 + half, rel=1e-12))
    assert summary.not_computable is None


def test_summary_of_equal_values_has_sd_0_and_a_point_interval() -> None:
    summary = summarize([75.0, 75.0, 75.0])
    assert (summary.sd, summary.ci95) == (0.0, (75.0, 75.0))


def test_summary_n_0_and_n_1_are_not_computable_with_a_reason() -> None:
    empty = summarize([])
    assert (empty.mean, empty.sd, empty.ci95, empty.median) == (None, None, None, None)
    assert empty.not_computable == "no subject has a value (n = 0)"
    one = summarize([42.0])
    assert (one.mean, one.median, one.sd, one.ci95) == (42.0, 42.0, None, None)
    assert one.not_computable is not None
    assert "n = 1" in one.not_computable


def test_wilcoxon_exact_for_distinct_non_zero_differences() -> None:
    # ranks of |d|: 1..5; positive sum 1 (only d = +1), so two-sided exact p = 2 × P(W⁺ ≤ 1) = 2 × 2/32
    result = wilcoxon_signed_rank([1, -2, -3, -4, -5])
    assert (result.method, result.statistic, result.n_nonzero) == (EXACT, 1.0, 5)
    assert result.p_value == pytest.approx(0.125)


def test_wilcoxon_normal_approximation_with_ties_zeros_or_more_than_50() -> None:
    assert wilcoxon_signed_rank([-1, -1, -3]).method == NORMAL
    assert wilcoxon_signed_rank([0, -2, -3]).method == NORMAL
    assert wilcoxon_signed_rank(list(range(-1, -52, -1))).method == NORMAL
    assert wilcoxon_signed_rank(list(range(-1, -51, -1))).method == EXACT


def test_wilcoxon_normal_approximation_by_hand() -> None:
    # d = −1, −1, −3: ranks 1.5, 1.5, 3; W⁺ = 0; mean 3; variance (3·4·7)/24 − tie term (2³ − 2)/48 = 3.5 − 0.125
    z = (0 - 3 + 0.5) / math.sqrt(3.375)
    p = math.erfc(-z / math.sqrt(2))  # two-sided: 2 × Φ(z) for z < 0
    assert wilcoxon_signed_rank([-1, -1, -3]).p_value == pytest.approx(p, rel=1e-9)


def test_wilcoxon_not_computable_for_one_subject_or_all_zero() -> None:
    assert wilcoxon_signed_rank([-10]).not_computable is not None
    assert wilcoxon_signed_rank([]).p_value is None
    assert wilcoxon_signed_rank([0, 0]).not_computable == "every difference is 0, so no rank carries a sign"


def brute_force_hodges_lehmann(d: list[int]) -> Fraction:
    return statistics.median(Fraction(d[i] + d[j], 2) for i in range(len(d)) for j in range(i, len(d)))


@given(st.lists(st.integers(min_value=-720, max_value=720), min_size=1, max_size=25))
def test_hodges_lehmann_equals_the_median_of_all_walsh_averages(d: list[int]) -> None:
    assert hodges_lehmann(d) == brute_force_hodges_lehmann(d)


def test_hodges_lehmann_small_cases_by_hand() -> None:
    assert hodges_lehmann([]) is None
    assert hodges_lehmann([-93]) == -93
    assert hodges_lehmann([-10, -20]) == -15  # Walsh averages −10, −15, −20
    assert hodges_lehmann([0, 10, 30]) == Fraction(25, 2)  # sorted 0, 5, 10, 15, 20, 30 → (10 + 15) / 2
    assert hodges_lehmann([-5, 1, 2]) == Fraction(-1, 4)  # sorted −5, −2, −1.5, 1, 1.5, 2 → (−1.5 + 1) / 2


def test_round_float_keeps_10_significant_digits_and_drops_negative_zero() -> None:
    assert round_float(200 / 3) == 66.66666667
    assert round_float(-0.0) == 0.0
    assert str(round_float(-0.0)) == "0.0"
    assert round_float(None) is None
    assert round_float(1.23456789012e-9) == 1.23456789e-9
    with pytest.raises(ValueError, match="finite"):
        round_float(math.nan)
