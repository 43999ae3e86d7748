"""Every ``benchmarks/bench_*.py`` runs with ``--smoke``, exits 0 and writes results with the required keys.

No figure is asserted (timings depend on the machine and its load); only that each benchmark runs end to end and
writes what ``benchmarks/run.py`` and docs/performance.md read. The analysis benchmark's smoke run, with its
databases and report, is in test_bench_analysis.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPTS = sorted(path.stem for path in BENCHMARKS.glob("bench_*.py"))
MACHINE = {"cpus", "cpu_model", "memory_mb", "python", "os", "load_average_start", "load_average_end", "git_commit"}
EXTRA = {"bench_analysis": ["--no-db", "--no-report"]}  # its full smoke run is test_bench_analysis.py's


def smoke(name: str, folder: Path) -> dict[str, Any]:
    """Run one benchmark with --smoke as make bench would; its results."""
    output = folder / f"{name}.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{name}.py"), "--smoke", "--output", str(output), *EXTRA.get(name, [])],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return result


def test_every_benchmark_is_covered() -> None:
    assert {
        "bench_analysis",
        "bench_instruments",
        "bench_screening",
        "bench_simulate",
        "bench_store",
        "bench_web",
    } <= set(SCRIPTS)


def web_parts(result: dict[str, Any]) -> None:
    """bench_web: the HTTP and the direct part, errors, latencies and the matrix statements at 40 and 10 subjects."""
    assert result["scale"] == 40
    assert result["errors"] == 0
    assert result["http"]["requests"] == result["direct"]["requests"] == 4 * 5
    assert result["http"]["matrix"]["requests"] == 4  # every 5th of 5 requests of 4 users
    assert result["http"]["form_saves"]["requests"] == 16
    assert {"p50_ms", "p99_ms", "p99_over_p50"} <= set(result["http"]["all"])
    assert result["matrix_statements"] > 0
    by_size = result["matrix_statements_by_subjects"]
    assert by_size["40"]["rows"] == 40
    assert by_size["10"]["rows"] == 10
    assert result["matrix_statements_constant"] == (by_size["40"]["statements"] == by_size["10"]["statements"])


def store_parts(result: dict[str, Any]) -> None:
    """bench_store: raw SQLite, the service layer on SQLite and on PostgreSQL, each with 1 and 32 writers."""
    assert result["unit"] == "saves/s"
    assert set(result["runs"]) == {"sqlite-raw", "sqlite-service", "postgresql-service"}
    for by_writers in result["runs"].values():
        assert set(by_writers) == {"1", "32"}
        assert by_writers["1"]["saves"] == 6
        assert by_writers["32"]["saves"] == 32
        assert {"saves_per_s", "p50_ms", "p99_ms", "p99_over_p50"} <= set(by_writers["32"])


def simulate_parts(result: dict[str, Any]) -> None:
    """bench_simulate: 3 candidates filled batched and unbatched into two databases holding the same rows."""
    assert result["unit"] == "candidates/s"
    assert result["scale"] == 3
    assert set(result["scales"]) == {"3"}
    figures = result["scales"]["3"]
    assert figures["same_data"] is result["same_data"] is True
    assert figures["differing_tables"] == []
    assert figures["row_counts"]["subjects"] == 3
    assert figures["row_counts"]["forms"] > 0
    assert figures["row_counts"]["lab_results"] > 0
    for mode in ("batched", "unbatched"):
        assert figures[mode]["audit_events"] == figures["row_counts"]["audit_events"] > 0
        assert figures[mode]["seconds"] > 0
        assert figures[mode]["cpu_seconds"] > 0
        assert figures[mode]["database_mb"] > 0
    assert "goal" not in result  # no issue sets one
    assert "goal_met" not in result


PARTS = {"bench_web": web_parts, "bench_store": store_parts, "bench_simulate": simulate_parts}
NO_GOAL = {"bench_simulate"}


@pytest.mark.parametrize("name", SCRIPTS)
def test_smoke_run_exits_0_and_writes_the_required_keys(name: str, tmp_path: Path) -> None:
    result = smoke(name, tmp_path)
    assert {"metric", "value", "baseline", "ratio", "unit", "machine", "scale"} <= set(result)
    assert isinstance(result["metric"], str)
    assert isinstance(result["unit"], str)
    for key in ("value", "baseline", "ratio"):
        assert isinstance(result[key], int | float)
        assert result[key] > 0
    assert isinstance(result["scale"], int)
    assert set(result["machine"]) >= MACHINE
    assert len(result["machine"]["load_average_start"]) == len(result["machine"]["load_average_end"]) == 3
    assert name in NO_GOAL or isinstance(result["goal_met"], bool)
    PARTS.get(name, lambda _: None)(result)


def test_simulate_names_every_table_whose_row_count_differs_between_its_two_databases() -> None:
    import bench_simulate  # benchmarks/ is on the path (conftest.py)

    same = {"subject": 3, "audit_event": 318}
    assert bench_simulate.differing(same, dict(same)) == []
    assert bench_simulate.differing(same, same | {"audit_event": 317, "lab_result": 2}) == [
        "audit_event (batched 318, unbatched 317)",
        "lab_result (batched None, unbatched 2)",  # a table only one database has
    ]
