"""The screening benchmark runs and writes its result shape (at a small size; the real run is by hand)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_screening.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_screening", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_writes_metric_value_baseline_ratio_unit_and_machine(tmp_path: Path) -> None:
    bench = load()
    output = tmp_path / "bench.json"
    assert bench.main(["--candidates", "2000", "--rounds", "1", "--output", str(output)]) == 0
    result = json.loads(output.read_text(encoding="utf-8"))
    assert {"metric", "value", "baseline", "ratio", "unit", "machine", "peak_rss_mb"} <= set(result)
    assert result["unit"] == "candidates/s"
    assert result["candidates"] == 2000
    assert result["disagreements"] == 0  # engine and hand-written baseline agree on every computed criterion
    assert sum(result["verdicts"].values()) == 2000


def test_the_hand_written_baseline_covers_only_computed_criteria() -> None:
    bench = load()
    from tests.eligibility.records import protocol

    kinds = {c.id: c.kind for c in [*protocol().eligibility.inclusion, *protocol().eligibility.exclusion]}
    assert {kinds[c] for c in bench.COMPUTED} == {"computed"}
    assert sorted(c for c, kind in kinds.items() if kind == "computed") == sorted(bench.COMPUTED)
