"""The store benchmark runs at a tiny size and writes its result shape; no timing is asserted (figures are by hand)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_store.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_store", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_writes_metric_value_baseline_ratio_unit_machine_and_latencies(tmp_path: Path) -> None:
    output = tmp_path / "bench_store.json"
    assert load().main(["--saves", "6", "--per-writer", "1", "--rounds", "1", "--output", str(output)]) == 0
    result = json.loads(output.read_text(encoding="utf-8"))
    assert {"metric", "value", "baseline", "ratio", "unit", "machine", "runs"} <= set(result)
    assert result["unit"] == "saves/s"
    assert set(result["runs"]) == {"sqlite-raw", "sqlite-service", "postgresql-service"}
    for by_writers in result["runs"].values():
        assert set(by_writers) == {"1", "32"}
        assert by_writers["1"]["saves"] == 6
        assert by_writers["32"]["saves"] == 32
        assert {"saves_per_s", "p50_ms", "p99_ms", "p99_over_p50"} <= set(by_writers["32"])
