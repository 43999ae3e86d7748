"""The analysis benchmark runs at its smoke size and writes its result shape; no timing is asserted."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_analysis.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_analysis", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smoke_run_writes_metric_value_baseline_ratio_unit_machine_memory_scales_and_the_sqlite_study(
    tmp_path: Path,
) -> None:
    output = tmp_path / "bench_analysis.json"
    # PostgreSQL is left out to keep the smoke runs short: the same database_run is run on it by make bench, and
    # bench_store's smoke run writes to PostgreSQL.
    assert load().main(["--smoke", "--no-pg", "--output", str(output)]) == 0
    result = json.loads(output.read_text(encoding="utf-8"))
    assert {"metric", "value", "baseline", "ratio", "unit", "machine"} <= set(result)
    assert result["unit"] == "s"
    assert result["subjects"] == result["scale"] == 200
    assert set(result["scales"]) == {"8", "200"}
    assert all(s["value"] > 0 and s["baseline"] > 0 for s in result["scales"].values())
    assert result["assessments"] == 2000
    assert result["disagreements"] == 0  # dermtrial and the bare group-by find the same improvement per subject
    assert result["n_improvement"] + result["n_missing"] == 200
    assert set(result["peak_rss_mb"]) == {"dermtrial", "bare"}
    assert all(p["peak_mb"] >= p["after_imports_mb"] > 0 for p in result["peak_rss_mb"].values())
    assert result["report_seconds"] > 0
    assert set(result["databases"]) == {"sqlite"}
    for figures in result["databases"].values():
        assert figures["candidates_simulated"] == 4
        assert {"fill_seconds", "to_endpoints_seconds", "steps_seconds", "subjects_in_population"} <= set(figures)
    assert {"load_average_start", "load_average_end", "git_commit", "polars"} <= set(result["machine"])


def test_the_synthetic_csv_has_ten_dated_assessments_per_subject_and_is_the_same_for_a_seed() -> None:
    bench = load()
    frame = bench.make_assessments(30, seed=5)
    assert frame.height == 300
    assert frame.columns == ["subject", "first_treatment_date", "assessment_date", "pasi"]
    assert frame["subject"].n_unique() == 30
    assert frame.equals(bench.make_assessments(30, seed=5))
