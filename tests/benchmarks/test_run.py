"""benchmarks/run.py and benchlib: the summary's number format, the results check, failing benchmarks named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import benchlib

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (2.5731, "2.57"),  # seconds: `:,.0f` showed "3"
        (0.1847, "0.185"),  # and "0"
        (13.93, "13.9"),
        (519.2, "519"),
        (3363.3, "3,360"),
        (5282604, "5,280,000"),
        (0.000123456, "0.000123"),
        (0, "0"),
        (-2.5731, "-2.57"),
    ],
)
def test_figures_are_shown_to_three_significant_digits(value: float, shown: str) -> None:
    assert benchlib.significant(value) == shown


def test_a_result_without_a_required_key_or_with_a_non_number_is_refused() -> None:
    good = {"metric": "m", "value": 1.0, "baseline": 2, "ratio": 0.5, "unit": "s", "machine": {}}
    assert benchlib.check(good) is good
    with pytest.raises(ValueError, match="lacks baseline, machine"):
        benchlib.check({"metric": "m", "value": 1.0, "ratio": 0.5, "unit": "s"})
    with pytest.raises(ValueError, match="ratio is 'fast', not a number"):
        benchlib.check(good | {"ratio": "fast"})
    with pytest.raises(ValueError, match="ratio is True, not a number"):
        benchlib.check(good | {"ratio": True})


def test_the_machine_block_names_cpus_model_memory_python_os_load_and_commit() -> None:
    block = benchlib.machine([1.0, 2.0, 3.0], sqlite="3.40.1")
    assert block["load_average_start"] == [1.0, 2.0, 3.0]
    assert len(block["load_average_end"]) == 3
    assert block["cpus"] >= 1
    assert block["memory_mb"] > 0
    assert block["cpu_model"]
    assert len(block["git_commit"]) == 40
    assert block["sqlite"] == "3.40.1"


def test_run_smoke_of_one_benchmark_prints_its_row_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, str(RUN), "--smoke", "--only", "instruments"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    assert "pasi_exact_batch" in done.stdout
    assert "SMOKE" in done.stdout


def test_run_names_an_unknown_benchmark_and_exits_2() -> None:
    done = subprocess.run([sys.executable, str(RUN), "--only", "nosuch"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "no benchmark bench_nosuch" in done.stderr


def test_run_names_each_failing_benchmark_and_exits_1_while_showing_the_others(tmp_path: Path) -> None:
    for name in ("run.py", "benchlib.py"):
        (tmp_path / name).write_text((RUN.parent / name).read_text(encoding="utf-8"), encoding="utf-8")
    write_output = "import json, sys\nout = sys.argv[sys.argv.index('--output') + 1]\n"
    (tmp_path / "bench_crash.py").write_text("import sys\nsys.exit(3)\n", encoding="utf-8")
    (tmp_path / "bench_silent.py").write_text("print('forgot to write')\n", encoding="utf-8")
    (tmp_path / "bench_shape.py").write_text(
        write_output + "open(out, 'w').write(json.dumps({'metric': 'm', 'value': 1}))\n", encoding="utf-8"
    )
    good = {"metric": "good_metric", "value": 2.5731, "baseline": 0.1847, "ratio": 13.93, "unit": "s", "machine": {}}
    (tmp_path / "bench_good.py").write_text(
        write_output + f"open(out, 'w').write(json.dumps({good!r}))\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, str(tmp_path / "run.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"COLUMNS": "200"},
    )
    assert done.returncode == 1
    assert "bench_crash (exit 3)" in done.stdout
    assert "bench_silent (wrote no results)" in done.stdout
    assert "bench_shape (benchmark result lacks baseline, ratio, unit, machine)" in done.stdout
    assert "good_metric" in done.stdout
    assert "2.57" in done.stdout
    assert "0.185" in done.stdout
