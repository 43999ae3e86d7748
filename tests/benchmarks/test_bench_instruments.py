"""The instruments benchmark runs and writes its result shape (at a tiny size; the real run is by hand)."""

from __future__ import annotations

import json
from pathlib import Path

import bench_instruments  # benchmarks/ is on the path (tests/benchmarks/conftest.py)
from dermtrial.instruments.pasi import pasi_tenths


def test_benchmark_writes_metric_value_baseline_ratio_unit_and_machine(tmp_path: Path) -> None:
    bench = bench_instruments
    output = tmp_path / "bench.json"
    assert bench.main(["--records", "300", "--rounds", "1", "--output", str(output)]) == 0
    result = json.loads(output.read_text(encoding="utf-8"))
    assert {"metric", "value", "baseline", "ratio", "unit", "machine"} <= set(result)
    assert result["unit"] == "records/s"
    assert result["records"] == 300
    assert result["disagreements_after_rounding"] == 0


def test_benchmark_naive_and_decimal_scorers_agree_with_the_exact_one_after_rounding() -> None:
    bench = bench_instruments
    for row in bench.make_rows(500):
        assert round(bench.naive_float_pasi(row) * 10) == pasi_tenths(row)
        assert bench.decimal_pasi(row) * 10 == pasi_tenths(row)
