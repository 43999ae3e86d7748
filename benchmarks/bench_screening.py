"""Benchmark: screening 1,000,000 synthetic candidates from a Parquet file against a hand-written polars baseline.

    .venv/bin/python benchmarks/bench_screening.py [--candidates 1000000] [--rounds 5] [--smoke] [--output PATH]

The candidates (NCT03392311 screening table: dates, scores, eight lab tests in SI or site units with reference ranges,
last uses, facts, half of them with investigator attestations) are generated with polars, written to a Parquet file in
a temporary folder, and screened in each round by

- the engine: :func:`dermtrial.eligibility.screen_frame` on the file just read, which checks and types every column,
  derives the inputs and evaluates every criterion from the protocol file (the rule trees compiled once);
- the baseline: the same computed criteria (I1, I2, E4a, E5b–E5g, E8, E9) written by hand as one polars expression
  over the same file, with the unit conversions and roundings spelt out, no input checks and no evidence.

Reading the file is timed in both. Rounds alternate the order; the best round of each counts. The two must agree on
every computed criterion of every candidate (reported as ``disagreements``).

Writes ``benchmarks/results/bench_screening.json``::

    {"metric": "screening_candidates_per_s", "value": <engine candidates/s>, "baseline": <hand-written candidates/s>,
     "ratio": <engine rate / baseline rate>, "unit": "candidates/s", "peak_rss_mb": ..., "machine": {...}, ...}

The goal is ``ratio`` >= 0.5 (the engine reaches at least half the hand-written rate) and a peak memory of the whole
run under 4 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from benchlib import load_average, machine, write
from dermtrial.eligibility import compile_criteria, screen_frame
from dermtrial.protocol import Protocol, load_builtin

RESULTS = Path(__file__).resolve().parent / "results" / "bench_screening.json"
GOAL_RATIO = 0.5
GOAL_PEAK_MB = 4096
COMPUTED = ["I1", "I2", "E4a", "E5b", "E5c", "E5d", "E5e", "E5f", "E5g", "E8", "E9"]


def _pick(values: list[Any], n: int, seed: int, dtype: Any = None) -> pl.Series:
    return pl.Series(values, dtype=dtype).sample(n, with_replacement=True, seed=seed)


def _tenths(low: int, high: int) -> list[float]:
    return [k / 10 for k in range(low * 10, high * 10 + 1)]


def make_candidates(n: int, seed: int = 20190723) -> pl.DataFrame:
    """``n`` synthetic candidates as a typed screening table."""
    s = iter(range(seed, seed + 1000))
    start = dt.date(2019, 1, 1)
    consent = pl.Series([start + dt.timedelta(days=d) for d in range(365)]).sample(
        n, with_replacement=True, seed=next(s)
    )
    baseline = consent + pl.duration(days=_pick(list(range(31)), n, next(s)))
    birth = consent - pl.duration(days=_pick(list(range(6200, 25000)), n, next(s)))
    columns: dict[str, Any] = {
        "candidate": pl.format("C{}", pl.int_range(n)),
        "consent_date": consent,
        "baseline_date": baseline,
        "birth_date": birth,
        "other_trial_end_date": _pick(["never"] * 9 + ["2018-12-01"], n, next(s)),
        "assessments.pasi": _pick([*_tenths(0, 40), None], n, next(s)),
        "assessments.bsa_percent": _pick([*_tenths(0, 60), None], n, next(s)),
        "assessments.zung_sas_index": _pick(list(range(30, 70)), n, next(s), pl.Int64),
        "assessments.zung_sds_index": _pick(list(range(30, 70)), n, next(s), pl.Int64),
    }
    labs = {  # SI value pool, site unit and its factor to SI, reference range in SI
        "CA": ([k / 100 for k in range(190, 300)], "mg/dL", 0.249513448775, (2.1, 2.6)),
        "ALT": (_tenths(5, 120), None, 1.0, (9.0, 50.0)),
        "AST": (_tenths(5, 120), None, 1.0, (15.0, 40.0)),
        "CREAT": (list(range(40, 140)), "mg/dL", 88.4016973126, (57.0, 111.0)),
        "CYSC": ([k / 100 for k in range(50, 140)], None, 1.0, (0.59, 1.03)),
        "HGB": (list(range(100, 210)), "g/dL", 10.0, (130.0, 175.0)),
        "PLAT": (_tenths(60, 400), "10^3/uL", 1.0, (125.0, 350.0)),
        "WBC": (_tenths(2, 12), "10^3/uL", 1.0, (3.5, 9.5)),
    }
    units = {"CA": "mmol/L", "ALT": "U/L", "AST": "U/L", "CREAT": "umol/L", "CYSC": "mg/L", "HGB": "g/L"}
    units |= {"PLAT": "10^9/L", "WBC": "10^9/L"}
    for code, (pool, site_unit, factor, (lln, uln)) in labs.items():
        si = _pick([*pool, None], n, next(s))
        site = _pick([False, False, True], n, next(s)) if site_unit else pl.repeat(False, n, eager=True)
        columns[f"labs.{code}.value"] = pl.select(pl.when(site).then((si / factor).round(2)).otherwise(si)).to_series()
        columns[f"labs.{code}.unit"] = pl.select(
            pl.when(site).then(pl.lit(site_unit)).otherwise(pl.lit(units[code]))
        ).to_series()
        columns[f"labs.{code}.lln"] = pl.select(pl.when(site).then(round(lln / factor, 2)).otherwise(lln)).to_series()
        columns[f"labs.{code}.uln"] = pl.select(pl.when(site).then(round(uln / factor, 2)).otherwise(uln)).to_series()
    last_use = ["never"] * 6 + [(start - dt.timedelta(days=d)).isoformat() for d in (1, 20, 100, 200)]
    for code in ("topical_corticosteroid", "topical_retinoid", "topical_vitamin_d_analogue", "systemic_therapy"):
        columns[f"last_use.{code}"] = _pick(last_use, n, next(s))
    for code in ("phototherapy", "puva", "biologic", "other"):
        columns[f"last_use.{code}"] = _pick(["never"] * 19 + ["2018-06-01"], n, next(s))
    facts = ["consent_signed", "acute_progressive", "erythroderma_tendency", "pregnancy_lactation", "other_psychiatric"]
    facts += ["uncontrolled_disease", "malignancy", "infection", "electrolyte_imbalance", "acid_base"]
    facts += ["tumour_markers", "organ_dysfunction", "allergy", "in_other_trial"]
    for name in facts:
        pool = [True] * 49 + [False] if name == "consent_signed" else [False] * 49 + [True]
        columns[f"facts.{name}"] = _pick(pool, n, next(s), pl.Boolean)
    columns["facts.psoriasis_type"] = _pick(["plaque"] * 17 + ["guttate", "inverse", "face_only"], n, next(s))
    for criterion in ("E5h", "E10"):
        attested = _pick([True, False], n, next(s))
        decision = _pick(["satisfied"] * 19 + ["not_satisfied"], n, next(s))
        for part, value in (("decision", decision), ("investigator", "Dr Chen Wei"), ("reason", "Checked.")):
            expr = pl.when(attested).then(pl.lit(value) if isinstance(value, str) else value)
            columns[f"judgements.{criterion}.{part}"] = pl.select(expr).to_series()
        columns[f"judgements.{criterion}.date"] = pl.select(pl.when(attested).then(consent)).to_series()
    return pl.select(**columns)


def _days(later: str, earlier: str) -> pl.Expr:
    text = pl.col(earlier)
    when = text.str.to_date("%Y-%m-%d", strict=False)
    return pl.when(text == "never").then(float("inf")).otherwise((pl.col(later) - when).dt.total_days().cast(float))


def _si(code: str, site_unit: str | None, factor: float) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    to_si = pl.when(pl.col(f"labs.{code}.unit") == site_unit).then(factor).otherwise(1.0) if site_unit else 1.0
    return tuple(pl.col(f"labs.{code}.{part}") * to_si for part in ("value", "lln", "uln"))  # type: ignore[return-value]


def hand_written(frame: pl.DataFrame) -> pl.DataFrame:
    """The computed criteria of NCT03392311, by hand: ``True`` where the inclusion holds / the exclusion applies."""
    ca, _, _ = _si("CA", "mg/dL", 0.249513448775)
    creat, _, creat_uln = _si("CREAT", "mg/dL", 88.4016973126)
    hgb, hgb_lln, hgb_uln = _si("HGB", "g/dL", 10.0)
    ca = (ca / 0.01 + 0.5).floor()
    age = (
        pl.col("consent_date").dt.year().cast(pl.Int32)
        - pl.col("birth_date").dt.year()
        - (
            (pl.col("consent_date").dt.month().cast(pl.Int32) * 100 + pl.col("consent_date").dt.day())
            < (pl.col("birth_date").dt.month().cast(pl.Int32) * 100 + pl.col("birth_date").dt.day())
        ).cast(pl.Int32)
    )
    topical = pl.min_horizontal(
        *(
            _days("baseline_date", f"last_use.{c}")
            for c in ("topical_corticosteroid", "topical_retinoid", "topical_vitamin_d_analogue")
        )
    )
    systemic = pl.min_horizontal(
        *(_days("baseline_date", f"last_use.{c}") for c in ("systemic_therapy", "phototherapy", "puva"))
    )
    return frame.select(
        I1=((pl.col("assessments.pasi") / 0.1 + 0.5).floor() > 100)
        | ((pl.col("assessments.bsa_percent") / 0.1 + 0.5).floor() > 100),
        I2=(age >= 18) & (age <= 65),
        E4a=(pl.col("assessments.zung_sas_index") > 50) | (pl.col("assessments.zung_sds_index") > 53),
        E5b=(ca > 290) | (ca < 200),
        E5c=(pl.col("labs.AST.value") > 2 * pl.col("labs.AST.uln"))
        | (pl.col("labs.ALT.value") > 2 * pl.col("labs.ALT.uln")),
        E5d=(creat > creat_uln) | (pl.col("labs.CYSC.value") > pl.col("labs.CYSC.uln")),
        E5e=(hgb > hgb_uln + 20) | (hgb < hgb_lln),
        E5f=(pl.col("labs.PLAT.value") / 0.1 + 0.5).floor() < 750,
        E5g=(pl.col("labs.WBC.value") / 0.1 + 0.5).floor() < 30,
        E8=pl.col("facts.in_other_trial") | (_days("consent_date", "other_trial_end_date") < 30),
        E9=(topical < 14) | (systemic < 28) | (_days("baseline_date", "last_use.biologic") < 84),
    )


def _time(step: Callable[[], pl.DataFrame]) -> tuple[float, pl.DataFrame]:
    start = time.perf_counter()
    out = step()
    return time.perf_counter() - start, out


def _disagreements(engine: pl.DataFrame, baseline: pl.DataFrame, protocol: Protocol) -> int:
    """Candidates × computed criteria where the engine's result differs from the hand-written one."""
    kinds = {c.id: c.type for c in compile_criteria(protocol)}
    count = 0
    for criterion in COMPUTED:
        holds = baseline[criterion]
        yes, no = ("satisfied", "not_satisfied") if kinds[criterion] == "inclusion" else ("not_satisfied", "satisfied")
        expected = pl.select(
            pl.when(holds.is_null()).then(pl.lit("unknown")).when(holds).then(pl.lit(yes)).otherwise(pl.lit(no))
        ).to_series()
        count += int((engine[criterion] != expected).sum())
    return count


def run(candidates: int = 1_000_000, rounds: int = 5) -> dict[str, Any]:
    """Measure and return the result object (does not write it)."""
    load_start = load_average()
    protocol = load_builtin("NCT03392311")
    criteria = compile_criteria(protocol)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "candidates.parquet"
        make_candidates(candidates).write_parquet(path)
        size_mb = path.stat().st_size / 2**20
        engine_times: list[float] = []
        baseline_times: list[float] = []
        engine_out = baseline_out = pl.DataFrame()
        for round_number in range(rounds):
            steps = [("engine", engine_times), ("baseline", baseline_times)]
            if round_number % 2:
                steps.reverse()
            for name, times in steps:
                if name == "engine":
                    seconds, engine_out = _time(
                        lambda: screen_frame(protocol, pl.read_parquet(path), criteria=criteria)
                    )
                else:
                    seconds, baseline_out = _time(lambda: hand_written(pl.read_parquet(path)))
                times.append(seconds)
    engine, baseline = min(engine_times), min(baseline_times)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    verdicts = engine_out["verdict"].value_counts()
    return {
        "metric": "screening_candidates_per_s",
        "value": round(candidates / engine),
        "baseline": round(candidates / baseline),
        "ratio": round(baseline / engine, 3),
        "unit": "candidates/s",
        "goal": f"ratio >= {GOAL_RATIO} and peak memory < {GOAL_PEAK_MB} MB",
        "goal_met": baseline / engine >= GOAL_RATIO and peak_mb < GOAL_PEAK_MB,
        "scale": candidates,
        "candidates": candidates,
        "rounds": rounds,
        "engine_seconds": round(engine, 4),
        "baseline_seconds": round(baseline, 4),
        "parquet_mb": round(size_mb, 1),
        "peak_rss_mb": round(peak_mb),
        "criteria_engine": len(criteria),
        "criteria_baseline": len(COMPUTED),
        "verdicts": {row["verdict"]: row["count"] for row in verdicts.iter_rows(named=True)},
        "disagreements": _disagreements(engine_out, baseline_out, protocol),
        "machine": machine(load_start),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="a tiny run: figures mean nothing")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.candidates, args.rounds = 2_000, 1
    result = run(candidates=args.candidates, rounds=args.rounds)
    write(args.output, result)
    print(
        f"Screening, {result['candidates']:,} candidates from Parquet: engine {result['value']:,} candidates/s, "
        f"hand-written polars {result['baseline']:,} candidates/s, ratio {result['ratio']} (goal >= {GOAL_RATIO}); "
        f"peak memory {result['peak_rss_mb']:,} MB (goal < {GOAL_PEAK_MB}); "
        f"{'goal met' if result['goal_met'] else 'goal NOT met'}; disagreements {result['disagreements']}. "
        f"Written to {args.output}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
