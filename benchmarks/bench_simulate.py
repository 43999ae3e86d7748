"""Benchmark: candidates per second filled into a new SQLite study by the simulator through the services, each
candidate in one batch, against the same fill without batches (every use case its own transaction, as a site
entering data by hand), on the same cohort in the same run.

    .venv/bin/python benchmarks/bench_simulate.py [--subjects 300] [--sites 1] [--seed 1] [--rounds 3]
        [--no-baseline] [--smoke] [--output PATH]

One fill is :func:`dermtrial.simulate.run.run_simulation` of ``--subjects`` candidates of NCT03392311 over ``--sites``
sites with ``--seed`` into a new SQLite file (``csv_path=None``): the set-up (accounts with the cheapest hashing
profile, study, sites) and every candidate carried through screening, consent, every visit, forms, labs and safety,
each use case with its audit event. **dermtrial** (the metric) fills each candidate in one batch (``batch=True``,
``db.batch(savepoints=False)``: one transaction for the candidate's use cases); **the baseline** fills the same
cohort (same seed, a second new database) with ``batch=False``: every use case commits on its own. Rates are
candidates ÷ wall seconds of the whole ``run_simulation`` call (set-up included); CPU seconds are
``time.process_time`` over the same call.

Per fill the results keep the wall and CPU seconds, the audit events written (rows of ``audit_event``) and the size
of the database (file and WAL, MB, after the engine is disposed). The two databases of a scale must hold the same
rows: every table's row count is compared (``same_data``); when they differ the benchmark writes its results, names
the tables on stderr and exits 1. ``row_counts`` keeps those of subjects, forms, lab results and audit events.

**Scales** (issue 11): 8 candidates (the trial) and ``--subjects`` (300 by default; the headline), each with its own
baseline, under ``scales``. A scale of at most 100 candidates runs ``--rounds`` rounds (a fill of seconds, where one
disturbance of the shared machine weighs heavily), batched and unbatched alternating, and keeps the best round of
each; a larger one runs once (its fills take minutes). 1,000 candidates (a large phase 3) take about 2 minutes
batched + 5 minutes unbatched; 50,000 (a registry) about 1.5 hours batched, so the registry scale is run on demand::

    .venv/bin/python benchmarks/bench_simulate.py --subjects 50000 --no-baseline

``--no-baseline`` skips every unbatched fill: ``baseline`` and ``ratio`` are then written as 0 (not measured) and
``same_data`` as null. ``--smoke`` fills 3 candidates, one round, no other scale: its figures mean nothing.

Writes ``benchmarks/results/bench_simulate.json``::

    {"metric": "simulate_fill_candidates_per_s", "value": <batched candidates/s>, "baseline": <unbatched
     candidates/s>, "ratio": value / baseline, "unit": "candidates/s", "scale": <--subjects>,
     "scales": {"8": {"candidates": 8, "value": …, "baseline": …, "ratio": …, "same_data": true,
     "batched": {"seconds": …, "cpu_seconds": …, "audit_events": …, "database_mb": …, …}, "unbatched": {…}}, …},
     "machine": {...}}

No goal is set for this benchmark (no issue names one); it records what batching gains.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.progress import Progress, TaskID
from sqlalchemy import func, inspect, select, table

from benchlib import load_average, machine, write
from dermtrial.protocol import Protocol, load_builtin
from dermtrial.simulate.run import run_simulation
from dermtrial.store.engine import Database

RESULTS = Path(__file__).resolve().parent / "results" / "bench_simulate.json"
PROTOCOL = "NCT03392311"
TRIAL = 8
ROUNDS_UP_TO = 100
"""Scales of at most this many candidates run ``--rounds`` rounds; larger ones run once."""
KEPT = {"subjects": "subject", "forms": "form_instance", "lab_results": "lab_result", "audit_events": "audit_event"}
"""The row counts kept in the results (every table is compared)."""


def row_counts(db: Database) -> dict[str, int]:
    """Rows in every table of the database, by table name."""
    with db.reading() as session:
        names = sorted(inspect(session.get_bind()).get_table_names())
        return {name: int(session.scalar(select(func.count()).select_from(table(name))) or 0) for name in names}


def database_mb(path: Path) -> float:
    """Size of the SQLite file and its WAL, if any, in MB."""
    files = [path, path.with_name(path.name + "-wal")]
    return round(sum(f.stat().st_size for f in files if f.exists()) / 1e6, 2)


def fill(
    protocol: Protocol,
    path: Path,
    *,
    candidates: int,
    sites: int,
    seed: int,
    batch: bool,
    advance: Callable[[object], None],
) -> tuple[dict[str, Any], dict[str, int]]:
    """One fill of a new database at ``path``: its figures and every table's row count."""
    db = Database(f"sqlite:///{path}")
    try:
        began, cpu = time.perf_counter(), time.process_time()
        run_simulation(protocol, PROTOCOL, subjects=candidates, sites=sites, seed=seed, db=db, csv_path=None,
                       on_subject=advance, batch=batch)  # fmt: skip
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
        counts = row_counts(db)
    finally:
        db.dispose()
    figures = {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "candidates_per_s": round(candidates / seconds, 3),
        "audit_events": counts["audit_event"],
        "database_mb": database_mb(path),
    }
    return figures, counts


def differing(batched: dict[str, int], unbatched: dict[str, int]) -> list[str]:
    """The tables whose row counts differ between the two databases, with both counts."""
    return [
        f"{name} (batched {batched.get(name)}, unbatched {unbatched.get(name)})"
        for name in sorted(set(batched) | set(unbatched))
        if batched.get(name) != unbatched.get(name)
    ]


def scale_run(
    protocol: Protocol,
    folder: Path,
    candidates: int,
    *,
    sites: int,
    seed: int,
    rounds: int,
    baseline: bool,
    progress: Progress,
    task: TaskID,
) -> dict[str, Any]:
    """Batched and (unless ``baseline`` is False) unbatched fills of ``candidates`` candidates, rounds alternating;
    the best round of each, every round's rate, and whether the two databases hold the same rows."""
    modes = [True, False] if baseline else [True]
    runs: dict[bool, list[tuple[dict[str, Any], dict[str, int]]]] = {mode: [] for mode in modes}
    for number in range(rounds):
        for batch in modes[:: -1 if number % 2 else 1]:
            path = folder / f"{candidates}-{'batched' if batch else 'unbatched'}-{number}.db"
            runs[batch].append(fill(protocol, path, candidates=candidates, sites=sites, seed=seed, batch=batch,
                                    advance=lambda _: progress.advance(task)))  # fmt: skip
            for leftover in folder.glob(path.name + "*"):
                leftover.unlink()  # sizes are taken: a large scale's files need not pile up

    def best(mode: bool) -> dict[str, Any]:
        fills = [figures for figures, _ in runs[mode]]
        chosen = max(fills, key=lambda figures: figures["candidates_per_s"])
        return chosen | {"candidates_per_s_each_round": [figures["candidates_per_s"] for figures in fills]}

    batched = best(True)
    unbatched = best(False) if baseline else None
    differences = sorted({d for (_, a), (_, b) in zip(runs[True], runs.get(False, []), strict=False)
                          for d in differing(a, b)})  # fmt: skip
    counts = runs[True][0][1]
    value = batched["candidates_per_s"]
    rate = unbatched["candidates_per_s"] if unbatched is not None else 0.0
    return {
        "candidates": candidates,
        "rounds": rounds,
        "value": value,
        "baseline": rate,
        "ratio": round(value / rate, 3) if rate else 0.0,
        "unit": "candidates/s",
        "same_data": None if unbatched is None else not differences,
        "differing_tables": differences,
        "row_counts": {key: counts[name] for key, name in KEPT.items()},
        "batched": batched,
        "unbatched": unbatched,
    }


def run(
    subjects: int = 300,
    *,
    sites: int = 1,
    seed: int = 1,
    rounds: int = 3,
    scales: tuple[int, ...] = (TRIAL,),
    baseline: bool = True,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Fill every scale and return the result object (does not write it)."""
    protocol = load_builtin(PROTOCOL)
    load_start = load_average()
    sizes = sorted({*scales, subjects})
    rounds_of = {n: rounds if n <= ROUNDS_UP_TO else 1 for n in sizes}
    total = sum(n * rounds_of[n] * (2 if baseline else 1) for n in sizes)
    by_scale: dict[str, dict[str, Any]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-simulate-") as tmp,
        Progress(disable=not show_progress, transient=True) as progress,
    ):
        task = progress.add_task("simulate benchmark (candidates filled)", total=total)
        for n in sizes:
            by_scale[str(n)] = scale_run(protocol, Path(tmp), n, sites=sites, seed=seed, rounds=rounds_of[n],
                                         baseline=baseline, progress=progress, task=task)  # fmt: skip
    headline = by_scale[str(subjects)]
    return {
        "metric": "simulate_fill_candidates_per_s",
        "value": headline["value"],
        "baseline": headline["baseline"],
        "ratio": headline["ratio"],
        "unit": "candidates/s",
        "scale": subjects,
        "scale_means": "candidates simulated into a new SQLite study",
        "baseline_measured": baseline,
        "baseline_is": "the same cohort filled without batches: every use case its own transaction",
        "same_data": None if not baseline else all(s["same_data"] for s in by_scale.values()),
        "scales": by_scale,
        "protocol": PROTOCOL,
        "sites": sites,
        "seed": seed,
        "rounds": rounds,
        "machine": machine(load_start, sqlite=sqlite3.sqlite_version),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subjects", type=int, default=300, help="candidates of the headline scale (at least 1)")
    parser.add_argument("--sites", type=int, default=1, help="sites the candidates are spread over (at least 1)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the cohort (the same for both fills)")
    parser.add_argument("--rounds", type=int, default=3, help=f"rounds at scales of at most {ROUNDS_UP_TO} candidates")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unbatched fills")
    parser.add_argument("--smoke", action="store_true", help="3 candidates, one round: figures mean nothing")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    for option, value in (("--subjects", args.subjects), ("--sites", args.sites), ("--rounds", args.rounds)):
        if value < 1:
            parser.error(f"{option} {value}: at least 1 is needed")
    if args.smoke:
        args.subjects, args.rounds = 3, 1
    result = run(args.subjects, sites=args.sites, seed=args.seed, rounds=args.rounds,
                 scales=() if args.smoke else (TRIAL,), baseline=not args.no_baseline)  # fmt: skip
    write(args.output, result)
    for scale, figures in result["scales"].items():
        unbatched = figures["unbatched"]
        print(
            f"{int(scale):,} candidates: batched {figures['value']:,} candidates/s "
            f"({figures['batched']['seconds']} s, CPU {figures['batched']['cpu_seconds']} s), "
            + (
                f"unbatched {figures['baseline']:,} candidates/s ({unbatched['seconds']} s, CPU "
                f"{unbatched['cpu_seconds']} s), ratio {figures['ratio']}; "
                if unbatched is not None
                else "unbatched not measured; "
            )
            + f"{figures['batched']['audit_events']:,} audit events, {figures['batched']['database_mb']} MB; "
            f"same data: {figures['same_data']}"
        )
    print(f"Written to {args.output}")
    failed = {
        scale: figures["differing_tables"]
        for scale, figures in result["scales"].items()
        if figures["same_data"] is False
    }
    for scale, tables in failed.items():
        print(f"{scale} candidates: the batched and unbatched databases differ in {'; '.join(tables)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
