"""The statistics of the PASI endpoints: summary with a t confidence interval, Clopper–Pearson, Wilcoxon signed-rank and
Hodges–Lehmann. Each returns its value, or None with the reason it is not computable; never a crash, never 0.

- **Summary** of n values: mean, SD (n − 1 in the denominator), 95 % CI of the mean
  ``mean ± t(0.975, n − 1) × SD / √n``, median, min, max. Sums use ``math.fsum`` (correctly rounded, so the order
  of the subjects cannot change a bit). n = 0: everything null; n = 1: SD and CI null.
- **Clopper–Pearson** 95 % CI of k responders of n: ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``,
  the beta-quantile interval (k = 0 of 8: [0, 1 − 0.025^(1/8)] = [0, 0.3694]).
- **Wilcoxon signed-rank** test of the paired differences (two-sided, zero differences dropped as in Wilcoxon's
  original method): exact null distribution when at most 50 non-zero differences remain and their absolute values
  have no ties and no difference was 0; otherwise the normal approximation with continuity correction and the tie
  correction of the variance. The method used is returned with the p-value.
- **Hodges–Lehmann** estimate: the median of the n(n + 1)/2 Walsh averages ``(dᵢ + dⱼ)/2, i ≤ j``. The differences are
  whole tenths of PASI, so the Walsh sums are counted on the integer grid (a histogram convolution) and the median is
  exact, for 8 subjects as for 50,000.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import stats as sp

EXACT_MAX_N = 50
"""Largest number of non-zero differences for which the exact Wilcoxon distribution is used."""
NEEDS_TWO = "needs at least 2 subjects with a value (n = {n})"


@dataclass(frozen=True)
class Summary:
    """Descriptive statistics of a sample; a field is None when not computable, with ``not_computable`` saying why."""

    n: int
    mean: float | None
    sd: float | None
    ci95: tuple[float, float] | None
    median: float | None
    min: float | None
    max: float | None
    not_computable: str | None = None


def summarize(values: Sequence[float]) -> Summary:
    """n, mean, SD, t-based 95 % CI of the mean, median, min and max of ``values`` (order does not matter)."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return Summary(0, None, None, None, None, None, None, "no subject has a value (n = 0)")
    mean = math.fsum(ordered) / n
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    if n == 1:
        reason = "SD and confidence interval " + NEEDS_TWO.format(n=n)
        return Summary(1, mean, None, None, median, ordered[0], ordered[-1], reason)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in ordered) / (n - 1))
    half = float(sp.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return Summary(n, mean, sd, (mean - half, mean + half), median, ordered[0], ordered[-1])


def clopper_pearson(k: int, n: int) -> tuple[float, float] | None:
    """Exact (Clopper–Pearson) 95 % confidence interval of the proportion k/n; None when n = 0."""
    if n == 0:
        return None
    interval = sp.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    return float(interval.low), float(interval.high)


@dataclass(frozen=True)
class SignedRank:
    """A Wilcoxon signed-rank result: the p-value and statistic, or the reason there is none, and the method."""

    p_value: float | None
    statistic: float | None
    method: str | None
    n_nonzero: int
    not_computable: str | None = None


EXACT = "exact"
NORMAL = "normal approximation with continuity correction"


def wilcoxon_signed_rank(differences: Sequence[int]) -> SignedRank:
    """Two-sided Wilcoxon signed-rank test that the paired ``differences`` (whole tenths) are centred on 0.

    The statistic is the smaller of the positive and the negative rank sums (scipy's two-sided convention).
    """
    n = len(differences)
    if n < 2:
        return SignedRank(None, None, None, n, "the Wilcoxon test " + NEEDS_TWO.format(n=n))
    nonzero = [d for d in differences if d != 0]
    if not nonzero:
        return SignedRank(None, None, None, 0, "every difference is 0, so no rank carries a sign")
    magnitudes = [abs(d) for d in nonzero]
    exact = len(nonzero) == n and len(set(magnitudes)) == len(magnitudes) and n <= EXACT_MAX_N
    data = np.asarray(sorted(differences), dtype=np.float64)
    with warnings.catch_warnings():
        # scipy warns that the normal approximation is rough for few differences; the method is stated instead.
        warnings.simplefilter("ignore", UserWarning)
        result = sp.wilcoxon(
            data,
            zero_method="wilcox",
            correction=not exact,
            alternative="two-sided",
            method="exact" if exact else "asymptotic",
        )
    return SignedRank(float(result.pvalue), float(result.statistic), EXACT if exact else NORMAL, len(nonzero))


def hodges_lehmann(differences_tenths: Sequence[int]) -> Fraction | None:
    """The median of the Walsh averages of the differences, in tenths (exact); None when there is none.

    Differences must be whole numbers of tenths within −720 … 720 (PASI 0–72).
    """
    n = len(differences_tenths)
    if n == 0:
        return None
    values = np.asarray(differences_tenths, dtype=np.int64)
    low, high = int(values.min()), int(values.max())
    counts = np.bincount(values - low, minlength=high - low + 1).astype(np.int64)
    pair_sums = np.convolve(counts, counts)  # index k: number of ordered pairs (i, j) with dᵢ + dⱼ = 2·low + k
    diagonal = np.zeros_like(pair_sums)
    diagonal[0::2] = counts  # i = j contributes dᵢ + dᵢ = 2·low + 2·(dᵢ − low)
    walsh = (pair_sums + diagonal) // 2  # unordered pairs i ≤ j
    cumulative = np.cumsum(walsh)
    total = n * (n + 1) // 2

    def kth(rank: int) -> int:
        """The sum dᵢ + dⱼ at 1-based position ``rank`` of the sorted Walsh sums."""
        return 2 * low + int(np.searchsorted(cumulative, rank))

    if total % 2:
        return Fraction(kth((total + 1) // 2), 2)
    return Fraction(kth(total // 2) + kth(total // 2 + 1), 4)
