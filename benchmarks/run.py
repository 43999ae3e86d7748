"""Run every ``benchmarks/bench_*.py`` and print a summary of the results each one wrote.

    .venv/bin/python benchmarks/run.py [--smoke] [--only NAME ...] [--table]

Each benchmark measures its own baseline in the same run and writes ``benchmarks/results/<name>.json`` with
``metric``, ``value``, ``baseline``, ``ratio``, ``unit`` and ``machine`` (see ``benchlib.py``). ``make bench`` calls
this script. ``--smoke`` is passed to each benchmark (a tiny run whose figures mean nothing) and the results go to a
temporary folder, so the committed figures stay those of a full run. A benchmark that exits non-zero, or writes no
results or results without the required keys, is named as failed and the run exits 1. ``--table`` runs nothing and
prints the summary of the results files already in ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import benchlib  # noqa: E402  (the folder of this script, also on the path when it is run as a script)


def _row(name: str, output: Path) -> tuple[str, ...]:
    result = benchlib.check(json.loads(output.read_text(encoding="utf-8")))
    scale = result.get("scale")
    return (
        name,
        str(result["metric"]),
        "" if scale is None else f"{scale:,}" if isinstance(scale, int) else str(scale),
        benchlib.significant(float(result["value"])),
        benchlib.significant(float(result["baseline"])),
        benchlib.significant(float(result["ratio"])),
        str(result["unit"]),
        {True: "met", False: "NOT met"}.get(result.get("goal_met"), ""),  # type: ignore[arg-type]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="pass --smoke to each benchmark; results to a temp folder")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks (bench_web or web)")
    parser.add_argument("--table", action="store_true", help="run nothing: the summary of benchmarks/results/")
    args = parser.parse_args(argv)
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        wanted = {name if name.startswith("bench_") else f"bench_{name}" for name in args.only}
        unknown = wanted - {script.stem for script in scripts}
        if unknown:
            parser.error(f"no benchmark {', '.join(sorted(unknown))}; there are {', '.join(s.stem for s in scripts)}")
        scripts = [script for script in scripts if script.stem in wanted]
    console = Console()
    failed: list[str] = []
    title = "dermtrial benchmarks (ratio = value / baseline, same run)" + (
        " — SMOKE: figures mean nothing" * args.smoke
    )
    table = Table(title=title)
    for column in ("benchmark", "metric", "scale", "value", "baseline", "ratio", "unit", "goal"):
        table.add_column(column, justify="right" if column in {"scale", "value", "baseline", "ratio"} else "left")
    with tempfile.TemporaryDirectory(prefix="dermtrial-bench-") as tmp:
        for script in scripts if args.table else []:
            output = HERE / "results" / f"{script.stem}.json"
            try:
                table.add_row(*_row(script.stem, output))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                failed.append(f"{script.stem} ({exc})")
        for script in [] if args.table else scripts:
            console.rule(script.name)
            output = (Path(tmp) if args.smoke else HERE / "results") / f"{script.stem}.json"
            command = [sys.executable, str(script), "--output", str(output)] + ["--smoke"] * args.smoke
            before = output.stat().st_mtime_ns if output.exists() else None
            code = subprocess.run(command, check=False).returncode
            if code != 0:
                failed.append(f"{script.stem} (exit {code})")
                continue
            if not output.exists() or output.stat().st_mtime_ns == before:
                failed.append(f"{script.stem} (wrote no results)")
                continue
            try:
                table.add_row(*_row(script.stem, output))
            except (ValueError, KeyError, TypeError) as exc:
                failed.append(f"{script.stem} ({exc})")
    console.print(table)
    if failed:
        console.print(f"[red]failed: {'; '.join(failed)}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
