"""Benchmark: exact PASI scoring of a large batch against a naive float implementation, in the same run.

    .venv/bin/python benchmarks/bench_instruments.py [--records 1000000] [--rounds 3] [--smoke] [--output PATH]

Both implementations score the same pre-generated rows (16 whole numbers: erythema, induration, desquamation and
area score for head, upper limbs, trunk and lower limbs); generating the rows is not timed. The exact scorer is
:func:`dermtrial.instruments.pasi.pasi_tenths` (integer tenths through a product table, the same table
``score_pasi`` uses); the naive one multiplies float weights (0.1, 0.2, 0.3, 0.4) and gives 21.900000000000002 where
the PASI is 21.9. Each round times both, in alternating order; the best round of each counts.

Writes ``benchmarks/results/bench_instruments.json``::

    {"metric": "pasi_exact_batch", "value": <exact records/s>, "baseline": <naive float records/s>,
     "ratio": <exact time / naive time>, "unit": "records/s", "machine": {...}, ...}

The goal is ``ratio`` ≤ 2: exact scoring costs at most twice the naive float version. For scale, the result also
reports the rate of the full validated path (strict pydantic model → ``score_pasi`` → result object) on a sample.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.progress import Progress

from benchlib import load_average, machine, write
from dermtrial.instruments.pasi import PasiItems, pasi_tenths, score_pasi

RESULTS = Path(__file__).resolve().parent / "results" / "bench_instruments.json"
GOAL_RATIO = 2.0
Row = tuple[int, ...]


def naive_float_pasi(row: Sequence[int]) -> float:
    """The PASI as most spreadsheets compute it: float weights, float sum."""
    return (
        0.1 * (row[0] + row[1] + row[2]) * row[3]
        + 0.2 * (row[4] + row[5] + row[6]) * row[7]
        + 0.3 * (row[8] + row[9] + row[10]) * row[11]
        + 0.4 * (row[12] + row[13] + row[14]) * row[15]
    )


_WEIGHTS = (Decimal("0.1"), Decimal("0.2"), Decimal("0.3"), Decimal("0.4"))


def decimal_pasi(row: Sequence[int]) -> Decimal:
    """An exact alternative with ``Decimal`` weights, measured for comparison (dermtrial uses integer tenths)."""
    return sum(
        (_WEIGHTS[k] * (row[4 * k] + row[4 * k + 1] + row[4 * k + 2]) * row[4 * k + 3] for k in range(4)),
        Decimal(0),
    )


def make_rows(count: int, seed: int = 20190723) -> list[Row]:
    """``count`` random PASI rows: signs 0–4, area scores 0–6."""
    rng = random.Random(seed)
    signs = range(5)
    areas = range(7)
    return [tuple(rng.choice(areas) if k % 4 == 3 else rng.choice(signs) for k in range(16)) for _ in range(count)]


def _time(scorer: Callable[[Sequence[int]], object], rows: list[Row]) -> float:
    start = time.perf_counter()
    for row in rows:
        scorer(row)
    return time.perf_counter() - start


def _validated_rate(rows: list[Row]) -> float:
    models = [
        {
            region: {"erythema": r[k], "induration": r[k + 1], "desquamation": r[k + 2], "area": r[k + 3]}
            for region, k in (("head", 0), ("upper_limbs", 4), ("trunk", 8), ("lower_limbs", 12))
        }
        for r in rows
    ]
    start = time.perf_counter()
    for data in models:
        score_pasi(PasiItems.model_validate(data))
    return len(rows) / (time.perf_counter() - start)


def run(records: int = 1_000_000, rounds: int = 3, sample: int = 20_000, show_progress: bool = True) -> dict[str, Any]:
    """Measure and return the result object (does not write it)."""
    load_start = load_average()
    rows = make_rows(records)
    # Correctness first, outside the timing: the exact scorer agrees with the float one once rounded to tenths.
    disagreements = sum(1 for row in rows if pasi_tenths(row) != round(naive_float_pasi(row) * 10))
    not_one_decimal = sum(1 for row in rows[:100_000] if repr(naive_float_pasi(row)) != repr(pasi_tenths(row) / 10))
    exact_times: list[float] = []
    naive_times: list[float] = []
    with Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task(f"scoring {records:,} PASI rows × {rounds} rounds", total=2 * rounds)
        for round_number in range(rounds):
            order = [(pasi_tenths, exact_times), (naive_float_pasi, naive_times)]
            if round_number % 2:
                order.reverse()
            for scorer, times in order:
                times.append(_time(scorer, rows))
                progress.advance(task)
    exact, naive = min(exact_times), min(naive_times)
    return {
        "metric": "pasi_exact_batch",
        "value": round(records / exact),
        "baseline": round(records / naive),
        "ratio": round(exact / naive, 3),
        "unit": "records/s",
        "goal": f"ratio <= {GOAL_RATIO}",
        "goal_met": exact / naive <= GOAL_RATIO,
        "scale": records,
        "records": records,
        "rounds": rounds,
        "exact_seconds": round(exact, 4),
        "naive_seconds": round(naive, 4),
        "validated_path_records_per_s": round(_validated_rate(rows[: min(sample, records)])),
        "decimal_records_per_s": round(
            min(sample * 5, records) / _time(decimal_pasi, rows[: min(sample * 5, records)])
        ),
        "rows_where_float_total_is_not_one_decimal": not_one_decimal,
        "rows_checked_for_one_decimal": min(records, 100_000),
        "disagreements_after_rounding": disagreements,
        "machine": machine(load_start),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a tiny run: figures mean nothing")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.records, args.rounds = 10_000, 1
    result = run(records=args.records, rounds=args.rounds, sample=min(20_000, args.records))
    write(args.output, result)
    print(
        f"PASI, {result['records']:,} records: exact {result['value']:,} records/s, naive float "
        f"{result['baseline']:,} records/s, ratio {result['ratio']} (goal <= {GOAL_RATIO}: "
        f"{'met' if result['goal_met'] else 'NOT met'}); validated path {result['validated_path_records_per_s']:,} "
        f"records/s; float totals not at one decimal: {result['rows_where_float_total_is_not_one_decimal']:,} of "
        f"{result['rows_checked_for_one_decimal']:,}. Written to {args.output}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
