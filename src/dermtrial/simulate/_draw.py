"""Seeded draws: one :class:`random.Random` per candidate, named by the seed and the candidate's index.

A string seed is hashed by :mod:`random` with SHA-512 (independent of ``PYTHONHASHSEED``), so candidate 17 of seed 42
is the same person on every machine and whether or not the other candidates were drawn: the cohort can be streamed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

T = TypeVar("T")


def rng_for(seed: int, stream: str, index: int = 0) -> random.Random:
    """The generator of one named stream (``candidate``, ``study``) and index under ``seed``."""
    return random.Random(f"dermtrial-simulate:{seed}:{stream}:{index}")


def clipped_normal(rng: random.Random, mean: float, sd: float, low: float, high: float) -> float:
    """A normal draw clipped to [low, high]."""
    return min(high, max(low, rng.gauss(mean, sd)))


def log_normal(rng: random.Random, median: float, spread: float) -> float:
    """A log-normal draw with the given median and SD of its logarithm."""
    return median * math.exp(rng.gauss(0.0, spread))


def uniform(rng: random.Random, bounds: tuple[float, float]) -> float:
    """A uniform draw in [low, high]."""
    return rng.uniform(bounds[0], bounds[1])


def whole(rng: random.Random, bounds: tuple[float, float]) -> int:
    """A uniform whole number in [low, high] (both included)."""
    return rng.randint(int(bounds[0]), int(bounds[1]))


def weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    """A name drawn with its relative weight."""
    names = list(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """One item, uniformly."""
    return items[rng.randrange(len(items))]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's method; the means used here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def decimal(value: float, places: int) -> Decimal:
    """``value`` rounded half up to ``places`` decimals, as an exact Decimal."""
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
