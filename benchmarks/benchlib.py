"""What every ``benchmarks/bench_*.py`` shares: the machine block of its results and the writing of the results file.

A results file holds at its top level ``metric``, ``value``, ``baseline``, ``ratio``, ``unit`` and ``machine`` (the
headline figure, its baseline measured in the same run, value / baseline, the unit and what it was measured on), and
``scale`` (the number of subjects, records or candidates of the headline figure); a benchmark adds what else it
measured beside them.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

REQUIRED = ("metric", "value", "baseline", "ratio", "unit", "machine")
REPO = Path(__file__).resolve().parents[1]


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded (the machine is shared: they say how disturbed a run was)."""
    return [round(x, 2) for x in os.getloadavg()]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def machine(load_start: list[float], **extra: Any) -> dict[str, Any]:
    """The machine block: CPUs, CPU model, memory, Python, OS, load at start and now (the end), git commit."""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_mb": _memory_mb(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "os": platform.platform(),
        "load_average_start": load_start,
        "load_average_end": load_average(),
        "git_commit": _git_commit(),
    } | extra


def check(result: dict[str, Any]) -> dict[str, Any]:
    """The result itself, after checking it has every required key and numbers where numbers belong."""
    missing = [key for key in REQUIRED if key not in result]
    if missing:
        raise ValueError(f"benchmark result lacks {', '.join(missing)}")
    for key in ("value", "baseline", "ratio"):
        if not isinstance(result[key], int | float) or isinstance(result[key], bool):
            raise ValueError(f"benchmark result {key} is {result[key]!r}, not a number")
    if not isinstance(result["machine"], dict):
        raise ValueError("benchmark result machine is not an object")
    return result


def write(path: Path, result: dict[str, Any]) -> None:
    """Check ``result`` and write it as indented JSON to ``path`` (its folder made if needed)."""
    check(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def significant(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, thousands separated (2.57, 0.184, 5,280,000)."""
    if value == 0:
        return "0"
    magnitude = len(str(int(abs(value)))) if abs(value) >= 1 else 0
    if magnitude >= digits:
        return f"{round(value, digits - magnitude):,.0f}"
    return f"{value:.{digits}g}" if abs(value) < 1 else f"{value:.{digits - magnitude}f}"
