"""Run every ``benchmarks/bench_*.py`` and print a summary of the results each one wrote.

Each benchmark measures its own baseline in the same run and writes ``benchmarks/results/<name>.json`` with
``metric``, ``value``, ``baseline``, ``ratio``, ``unit`` and ``machine``. ``make bench`` calls this script.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent


def main() -> int:
    console = Console()
    failed: list[str] = []
    table = Table(title="dermtrial benchmarks (ratio = measured / baseline, same run)")
    for column in ("benchmark", "metric", "value", "baseline", "ratio", "unit"):
        table.add_column(column)
    for script in sorted(HERE.glob("bench_*.py")):
        console.rule(script.name)
        if subprocess.run([sys.executable, str(script)], check=False).returncode != 0:
            failed.append(script.name)
            continue
        result = json.loads((HERE / "results" / f"{script.stem}.json").read_text(encoding="utf-8"))
        table.add_row(
            script.stem,
            str(result["metric"]),
            f"{result['value']:,.0f}",
            f"{result['baseline']:,.0f}",
            f"{result['ratio']:.2f}",
            str(result["unit"]),
        )
    console.print(table)
    if failed:
        console.print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
