"""Benchmark: the PASI endpoints of 50,000 subjects × 10 assessments (500,000 rows) from a CSV, against a bare polars
group-by computing the same per-subject improvement from the same file in the same run; and from a SQLite and a
PostgreSQL study filled by ``dermtrial simulate``.

    .venv/bin/python benchmarks/bench_analysis.py [--subjects 50000] [--rounds 3] [--db-subjects 200]
        [--no-pg] [--no-db] [--no-report] [--smoke] [--output PATH]

**The CSV** is synthetic and generated here with a seeded numpy generator (``dermtrial simulate --csv`` draws whole
candidates, a third of them screen failures with one row, so it gives about 4.8 rows per candidate and takes
minutes at this scale): subject ``SIM-000001`` …, a first treatment date in 2019–2021, ten assessments per subject
(screening 7–21 days before day 1, day 1, weeks 2, 4, 6, 8, 10, 12, 16 and 24, each ± 3 days; 6 % of the week-12
assessments 4 or 5 days off target, so outside the window), PASI in tenths from an exponential response model with
6 % noise, 0.2 % of subjects with a baseline of 0. It is written to a temporary folder (about 19 MB).

**dermtrial** (the metric): :func:`~dermtrial.analysis.input.read_assessments_csv` (read and check every cell),
:func:`~dermtrial.analysis.analyse_pasi` (checks the frame again, study days, baseline, week-12 window, per-subject
results, statistics, data SHA-256) and :func:`~dermtrial.analysis.output.endpoints_json_bytes` (the canonical
endpoints.json bytes). The report (figures, HTML, PDF) is not part of the metric; it is timed once, separately.

**The baseline**: ``pl.read_csv`` with typed columns, then a group-by picking per subject the baseline (the last
assessment on or before the first treatment date) and the week-12 value (offset 81–87 days, the closest to 84, ties
to the earlier) and computing ``100 × (B − W) / B``, with no checks, no statistics and no output file. The two must
agree on every subject (``disagreements``: improvement present in one and not the other, or differing by more than
1e-9 relative).

Rounds alternate the order of the two; the best round of each counts (the one least disturbed by other load on this
shared machine). **Peak memory** is the peak resident set (``VmHWM`` of /proc/self/status) of a fresh child
process that runs one path once (interpreter and imports included; ``after_imports_mb`` is its size before the
path ran), so neither path's memory is hidden by the other's. (``resource.getrusage(...).ru_maxrss`` is not used:
Linux carries the parent's figure over to a child across fork and exec.)

**Database**: ``dermtrial simulate --subjects N --seed 1 --db URL`` fills a new study through the services (timed as
``fill_seconds``); then ``load_analysis_data`` → ``derive_study_tables`` → ``pasi_input`` → ``analyse_pasi`` →
``endpoints_json_bytes`` is timed, as ``dermtrial report --db`` runs it (best of the rounds). PostgreSQL runs on the
server named by ``DERMTRIAL_BENCH_PG`` (default ``DERMTRIAL_TEST_PG``, then 127.0.0.1:5432), in a database made and
dropped by the run.

Writes ``benchmarks/results/bench_analysis.json``::

    {"metric": "analysis_csv_to_endpoints_seconds", "value": <dermtrial seconds>, "baseline": <bare polars seconds>,
     "ratio": value / baseline, "unit": "s", "peak_rss_mb": {...}, "steps_seconds": {...}, "report_seconds": ...,
     "databases": {...}, "machine": {...}, ...}

**Scales** (issue 11): the headline is the registry of ``--subjects`` (50,000); the same CSV comparison is also
run at 8 subjects (the trial) and 1,000 (a large phase 3), each with its own baseline, under ``scales``.

Goal (issue 9): ``ratio`` ≤ 3 and the peak memory of the dermtrial path under 2 GB. ``--smoke`` runs everything at
a tiny size (200 and 8 subjects, 4 simulated candidates, one round) to show it works; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from benchlib import load_average, machine, write
from dermtrial import __version__
from dermtrial.analysis import PasiAnalysis, analyse_pasi
from dermtrial.analysis.input import read_assessments_csv
from dermtrial.analysis.output import endpoints_json_bytes
from dermtrial.analysis.study_tables import derive_study_tables, pasi_input
from dermtrial.analysis.timepoints import AnalysisWindow, window_for
from dermtrial.protocol import Protocol, load_builtin
from dermtrial.reports.model import ReportInput
from dermtrial.reports.render import write_report

RESULTS = Path(__file__).resolve().parent / "results" / "bench_analysis.json"
PG_SERVER = os.environ.get(
    "DERMTRIAL_BENCH_PG", os.environ.get("DERMTRIAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
)
PROTOCOL = "NCT03392311"
GOAL_RATIO = 3.0
GOAL_PEAK_MB = 2048
READER = "sim.pi.gdtcm"  # the simulated investigator of the protocol's site (docs/simulate.md), who may read subjects
VISIT_OFFSETS = (None, 0, 14, 28, 42, 56, 70, 84, 112, 168)
"""Target offsets (days after the first treatment date) of the ten assessments; None: screening, 7–21 days before."""
WEEK12 = 84


def make_assessments(subjects: int, seed: int = 20190723) -> pl.DataFrame:
    """The long CSV's text columns for ``subjects`` synthetic subjects × 10 assessments (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n, visits = subjects, len(VISIT_OFFSETS)
    first = np.datetime64("2019-08-01") + rng.integers(0, 730, n).astype("timedelta64[D]")
    baseline = rng.integers(100, 451, n)
    baseline[rng.random(n) < 0.002] = 0
    effect = rng.beta(3, 2.2, n) * 1.2 - 0.2
    onset = rng.lognormal(np.log(28), 0.4, n)
    offsets = []
    for target in VISIT_OFFSETS:
        if target is None:
            offset = -rng.integers(7, 22, n)
        elif target == 0:
            offset = np.zeros(n, dtype=np.int64)
        else:
            offset = target + rng.integers(-3, 4, n)
            if target == WEEK12:
                late = rng.random(n) < 0.06
                offset[late] = target + rng.choice([-5, -4, 4, 5], int(late.sum()))
        offsets.append(offset)
    offset_matrix = np.stack(offsets, axis=1)
    days = np.clip(offset_matrix, 0, None)
    noise = rng.normal(1, 0.06, offset_matrix.shape)
    noise[:, 1] = 1
    factor = 1 - effect[:, None] * (1 - np.exp(-days / onset[:, None]))
    tenths = np.clip(np.rint(baseline[:, None] * factor * noise), 0, 720).astype(np.int64)
    tenths[:, 0] = np.clip(np.rint(baseline * rng.normal(1, 0.05, n)), 0, 720)
    frame = pl.DataFrame(
        {
            "number": np.repeat(np.arange(1, n + 1), visits),
            "first": np.repeat(first, visits),
            "offset": offset_matrix.ravel(),
            "tenths": tenths.ravel(),
        }
    )
    return frame.select(
        subject=pl.format("SIM-{}", pl.col("number").cast(pl.Utf8).str.zfill(6)),
        first_treatment_date=pl.col("first").cast(pl.Date).dt.strftime("%Y-%m-%d"),
        assessment_date=(pl.col("first").cast(pl.Date) + pl.duration(days=pl.col("offset"))).dt.strftime("%Y-%m-%d"),
        pasi=pl.format("{}.{}", pl.col("tenths") // 10, pl.col("tenths") % 10),
    )


def bare_polars(path: Path, window: AnalysisWindow) -> pl.DataFrame:
    """The baseline: per-subject improvement % straight from the file with one polars group-by, no checks."""
    frame = pl.read_csv(
        path,
        schema={"subject": pl.Utf8, "first_treatment_date": pl.Date, "assessment_date": pl.Date, "pasi": pl.Float64},
    ).with_columns(offset=(pl.col("assessment_date") - pl.col("first_treatment_date")).dt.total_days())
    baseline = (
        frame.filter(pl.col("offset") <= 0)
        .group_by("subject")
        .agg(pl.col("pasi").sort_by("offset").last().alias("baseline"))
    )
    week12 = (
        frame.filter(pl.col("offset").is_between(window.first_offset, window.last_offset))
        .group_by("subject")
        .agg(
            pl.col("pasi")
            .sort_by((pl.col("offset") - window.target_offset_days).abs(), pl.col("offset"))
            .first()
            .alias("week12")
        )
    )
    return (
        frame.select(pl.col("subject").unique())
        .join(baseline, on="subject", how="left")
        .join(week12, on="subject", how="left")
        .select(
            "subject",
            improvement=pl.when(pl.col("baseline") > 0).then(
                100 * (pl.col("baseline") - pl.col("week12")) / pl.col("baseline")
            ),
        )
    )


def dermtrial_csv(path: Path, protocol: Protocol) -> tuple[bytes, PasiAnalysis, dict[str, float]]:
    """The measured path: read and check the CSV, analyse, endpoints.json bytes; with the seconds of each step."""
    began = time.perf_counter()
    frame = read_assessments_csv(path)
    read = time.perf_counter()
    analysis = analyse_pasi(frame, protocol)
    analysed = time.perf_counter()
    data = endpoints_json_bytes(analysis.endpoints)
    done = time.perf_counter()
    steps = {"read_and_check": read - began, "analyse_pasi": analysed - read, "endpoints_json_bytes": done - analysed}
    return data, analysis, steps


def disagreements(analysis: PasiAnalysis, bare: pl.DataFrame) -> int:
    """Subjects whose improvement differs between dermtrial and the baseline (beyond 1e-9 relative)."""
    ours = {s["subject"]: s["improvement_percent"] for s in analysis.endpoints["primary"]["per_subject"]}
    theirs = dict(bare.select("subject", "improvement").iter_rows())
    count = abs(len(ours) - len(theirs))
    for subject, value in ours.items():
        other = theirs.get(subject)
        if value is None or other is None:
            count += (value is None) != (other is None)
        else:
            count += abs(value - other) > 1e-9 * max(1.0, abs(value))
    return count


def csv_scale(subjects: int, rounds: int, protocol: Protocol, folder: Path) -> dict[str, Any]:
    """The CSV comparison alone at ``subjects`` subjects: best seconds of dermtrial and of the bare group-by."""
    path = folder / f"assessments-{subjects}.csv"
    make_assessments(subjects).write_csv(path)
    window = window_for(protocol)
    seconds = _best(
        rounds,
        {
            "dermtrial": lambda: _seconds(lambda: dermtrial_csv(path, protocol)),
            "bare_polars": lambda: _seconds(lambda: bare_polars(path, window)),
        },
    )
    value, baseline = min(seconds["dermtrial"]), min(seconds["bare_polars"])
    return {"subjects": subjects, "value": round(value, 4), "baseline": round(baseline, 4),
            "ratio": round(value / baseline, 2), "unit": "s"}  # fmt: skip


def _seconds(step: Callable[[], object]) -> float:
    began = time.perf_counter()
    step()
    return time.perf_counter() - began


def _best(rounds: int, measured: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Seconds of each round of each step, the steps alternating their order round by round."""
    seconds: dict[str, list[float]] = {name: [] for name in measured}
    names = list(measured)
    for number in range(rounds):
        for name in names[:: -1 if number % 2 else 1]:
            seconds[name].append(measured[name]())
    return seconds


def peak_rss_mb(mode: str, path: Path) -> dict[str, float]:
    """Peak resident memory (MB) of a fresh child process running one path (``dermtrial`` or ``bare``) once, and its
    resident memory after the imports, before the path ran."""
    completed = subprocess.run(
        [sys.executable, __file__, "--peak-child", mode, str(path)], check=True, capture_output=True, text=True
    )
    figures: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def _status_mb(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of this process from /proc/self/status, in MB. Linux's ``ru_maxrss`` is
    not used: across fork and exec it keeps the parent's size, so a child would report the benchmark's own."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise LookupError(field)  # pragma: no cover - every Linux kernel has both


def _peak_child(mode: str, path: Path) -> int:
    protocol = load_builtin(PROTOCOL)
    after_imports = _status_mb("VmRSS")
    if mode == "dermtrial":
        dermtrial_csv(path, protocol)
    else:
        bare_polars(path, window_for(protocol))
    print(json.dumps({"peak_mb": _status_mb("VmHWM"), "after_imports_mb": after_imports}))
    return 0


def report_seconds(analysis: PasiAnalysis, protocol: Protocol, out: Path) -> float:
    """Seconds to write the report (figures, HTML, PDF) of an analysis, as ``dermtrial analyze`` does."""
    window = analysis.endpoints["window"]
    report = ReportInput(
        protocol_id=protocol.identity.registry_id,
        protocol_version=protocol.version,
        protocol_title=protocol.identity.brief_title,
        source="CSV file (benchmark)",
        endpoints=analysis.endpoints,
        pasi=analysis.pasi,
        software_version=__version__,
        methods=analysis.methods,
        week12_window=(window["first_study_day"], window["last_study_day"]),
    )
    began = time.perf_counter()
    write_report(out, report)
    return time.perf_counter() - began


def database_run(url: str, subjects: int, rounds: int) -> dict[str, Any]:
    """Fill a new study at ``url`` with ``dermtrial simulate``, then time the database path to endpoints.json."""
    from dermtrial.services.analysis_data import load_analysis_data
    from dermtrial.services.auth import login, logout
    from dermtrial.simulate.setup import SIM_PASSWORD
    from dermtrial.store import Database, utc_now

    command = [str(Path(sys.executable).parent / "dermtrial"), "simulate", "--protocol", PROTOCOL]
    command += ["--subjects", str(subjects), "--seed", "1", "--db", url]
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    fill = time.perf_counter() - began
    db = Database(url)
    try:
        session = login(db, username=READER, password=SIM_PASSWORD, now=utc_now())
        steps: dict[str, list[float]] = {"load_analysis_data": [], "derive_study_tables": [], "analyse_and_json": []}
        totals: list[float] = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            data = load_analysis_data(db, session.actor)
            t1 = time.perf_counter()
            tables = derive_study_tables(
                protocol=data.protocol, subjects=data.subjects, assessments=data.assessments,
                exposures=data.exposures, deviations=data.deviations, adverse_events=data.adverse_events,
                relatedness=data.relatedness, labs=data.labs,
            )  # fmt: skip
            t2 = time.perf_counter()
            frame = pasi_input(tables, data.assessments)
            analysis = analyse_pasi(frame, data.protocol, population=tables.primary_population)
            endpoints_json_bytes(analysis.endpoints)
            t3 = time.perf_counter()
            for name, seconds in zip(steps, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                steps[name].append(seconds)
            totals.append(t3 - t0)
        logout(db, token=session.token, now=utc_now())
    finally:
        db.dispose()
    best = totals.index(min(totals))
    return {
        "candidates_simulated": subjects,
        "fill_seconds": round(fill, 2),
        "subjects_in_population": analysis.endpoints["population"]["n"],
        "pasi_rows": frame.height,
        "n_improvement": analysis.endpoints["primary"]["n"],
        "to_endpoints_seconds": round(totals[best], 4),
        "to_endpoints_seconds_each_round": [round(t, 4) for t in totals],
        "steps_seconds": {name: round(values[best], 4) for name, values in steps.items()},
    }


def _pg_database() -> str | None:
    import psycopg

    name = f"dermtrial_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    except psycopg.OperationalError:
        return None
    return name


def _pg_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def run(
    subjects: int = 50_000,
    rounds: int = 3,
    db_subjects: int = 200,
    *,
    scales: tuple[int, ...] = (8, 1000),
    use_db: bool = True,
    use_pg: bool = True,
    report: bool = True,
) -> dict[str, Any]:
    """Measure everything and return the result object (does not write it)."""
    protocol = load_builtin(PROTOCOL)
    window = window_for(protocol)
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-analysis-") as tmp:
        path = Path(tmp) / "assessments.csv"
        make_assessments(subjects).write_csv(path)
        size_mb = path.stat().st_size / 1e6
        outcome: dict[str, Any] = {}

        def ours() -> float:
            began = time.perf_counter()
            outcome["bytes"], outcome["analysis"], steps = dermtrial_csv(path, protocol)
            outcome.setdefault("steps", []).append(steps)
            return time.perf_counter() - began

        def theirs() -> float:
            began = time.perf_counter()
            outcome["bare"] = bare_polars(path, window)
            return time.perf_counter() - began

        seconds = _best(rounds, {"dermtrial": ours, "bare_polars": theirs})
        analysis: PasiAnalysis = outcome["analysis"]
        best = seconds["dermtrial"].index(min(seconds["dermtrial"]))
        peaks = {mode: peak_rss_mb(mode, path) for mode in ("dermtrial", "bare")}
        rendered = report_seconds(analysis, protocol, Path(tmp) / "report") if report else None
        print(f"CSV: dermtrial {min(seconds['dermtrial']):.3f} s, bare polars {min(seconds['bare_polars']):.3f} s, "
              f"peak {peaks}, report {rendered} s", flush=True)  # fmt: skip
        by_scale = {str(n): csv_scale(n, rounds, protocol, Path(tmp)) for n in scales if n != subjects}
        databases: dict[str, Any] = {}
        if use_db:
            databases["sqlite"] = database_run(f"sqlite:///{Path(tmp) / 'study.db'}", db_subjects, rounds)
            name = _pg_database() if use_pg else None
            if name is not None:
                try:
                    databases["postgresql"] = database_run(f"{PG_SERVER}/{name}", db_subjects, rounds)
                finally:
                    _pg_drop(name)
            elif use_pg:
                databases["postgresql"] = f"skipped: no server at {PG_SERVER}"
    value, baseline = min(seconds["dermtrial"]), min(seconds["bare_polars"])
    primary = analysis.endpoints["primary"]
    return {
        "metric": "analysis_csv_to_endpoints_seconds",
        "value": round(value, 4),
        "baseline": round(baseline, 4),
        "ratio": round(value / baseline, 2),
        "unit": "s",
        "goal": f"ratio <= {GOAL_RATIO} and peak memory of the dermtrial path < {GOAL_PEAK_MB} MB",
        "goal_met": value / baseline <= GOAL_RATIO and peaks["dermtrial"]["peak_mb"] < GOAL_PEAK_MB,
        "scale": subjects,
        "scales": by_scale
        | {
            str(subjects): {
                "subjects": subjects,
                "value": round(value, 4),
                "baseline": round(baseline, 4),
                "ratio": round(value / baseline, 2),
                "unit": "s",
            }
        },
        "subjects": subjects,
        "assessments": subjects * len(VISIT_OFFSETS),
        "csv_mb": round(size_mb, 1),
        "endpoints_json_mb": round(len(outcome["bytes"]) / 1e6, 1),
        "n_improvement": primary["n"],
        "n_missing": primary["n_missing"],
        "disagreements": disagreements(analysis, outcome["bare"]),
        "rounds": rounds,
        "seconds_each_round": {name: [round(s, 4) for s in values] for name, values in seconds.items()},
        "steps_seconds": {name: round(s, 4) for name, s in outcome["steps"][best].items()},
        "report_seconds": None if rendered is None else round(rendered, 2),
        "peak_rss_mb": peaks,
        "peak_memory_method": "VmHWM (peak resident set) from /proc/self/status of a fresh child process running one "
        "path once, interpreter and imports included (after_imports_mb: VmRSS before the path ran); not ru_maxrss, "
        "which Linux carries over from the parent across fork and exec",
        "databases": databases,
        "machine": machine(load_before, polars=pl.__version__, sqlite=sqlite3.sqlite_version),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subjects", type=int, default=50_000, help="subjects in the CSV (10 assessments each)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, alternating dermtrial and the baseline")
    parser.add_argument("--db-subjects", type=int, default=200, help="candidates simulated into each database")
    parser.add_argument("--no-db", action="store_true", help="skip the SQLite and PostgreSQL studies")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-report", action="store_true", help="do not time the report rendering")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that only shows everything works")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--peak-child", nargs=2, metavar=("MODE", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peak_child:
        return _peak_child(args.peak_child[0], Path(args.peak_child[1]))
    if args.smoke:
        args.subjects, args.rounds, args.db_subjects = 200, 1, 4
    result = run(
        args.subjects,
        args.rounds,
        args.db_subjects,
        scales=(8,) if args.smoke else (8, 1000),
        use_db=not args.no_db,
        use_pg=not args.no_pg,
        report=not args.no_report,
    )
    write(args.output, result)
    print(
        f"CSV → endpoints.json, {result['subjects']:,} subjects × 10: dermtrial {result['value']:.3f} s, bare polars "
        f"{result['baseline']:.3f} s, ratio {result['ratio']} (goal <= {GOAL_RATIO}); peak memory "
        f"{result['peak_rss_mb']['dermtrial']['peak_mb']:,.0f} MB (goal < {GOAL_PEAK_MB}); "
        f"steps {result['steps_seconds']}; report {result['report_seconds']} s; disagreements {result['disagreements']}"
    )
    for engine, figures in result["databases"].items():
        print(f"{engine}: {figures}")
    for scale, figures in result["scales"].items():
        print(f"CSV at {int(scale):,} subjects: dermtrial {figures['value']} s, bare {figures['baseline']} s, "
              f"ratio {figures['ratio']}")  # fmt: skip
    print(f"{'goal met' if result['goal_met'] else 'goal NOT met'}. Written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
