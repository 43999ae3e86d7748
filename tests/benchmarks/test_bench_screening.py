"""The screening benchmark runs and writes its result shape (at a small size; the real run is by hand)."""

from __future__ import annotations

import json
from pathlib import Path

import bench_screening  # benchmarks/ is on the path (tests/benchmarks/conftest.py)


def test_benchmark_writes_metric_value_baseline_ratio_unit_and_machine(tmp_path: Path) -> None:
    bench = bench_screening
    output = tmp_path / "bench.json"
    assert bench.main(["--candidates", "2000", "--rounds", "1", "--output", str(output)]) == 0
    result = json.loads(output.read_text(encoding="utf-8"))
    assert {"metric", "value", "baseline", "ratio", "unit", "machine", "peak_rss_mb"} <= set(result)
    assert result["unit"] == "candidates/s"
    assert result["candidates"] == 2000
    assert result["disagreements"] == 0  # engine and hand-written baseline agree on every computed criterion
    assert sum(result["verdicts"].values()) == 2000


def test_the_hand_written_baseline_covers_only_computed_criteria() -> None:
    bench = bench_screening
    from tests.eligibility.records import protocol

    kinds = {c.id: c.kind for c in [*protocol().eligibility.inclusion, *protocol().eligibility.exclusion]}
    assert {kinds[c] for c in bench.COMPUTED} == {"computed"}
    assert sorted(c for c, kind in kinds.items() if kind == "computed") == sorted(bench.COMPUTED)
