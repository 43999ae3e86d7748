"""``dermtrial eligibility``: template, check and screen candidates against a protocol's criteria (docs/eligibility.md).

- ``template --protocol ID`` prints a complete screening record of an eligible candidate;
- ``check --protocol ID [--input FILE]`` evaluates one record or an array (JSON, file or stdin) and prints one
  result per record; exit 0 when every record is eligible, 1 when one is ineligible or incomplete;
- ``screen --protocol ID FILE [--output OUT]`` screens a table (CSV, Parquet, JSON lines) vectorised and writes a
  verdict table with the failing criteria.

Bad input exits 2 with one stderr line per problem naming the record index (or table row) and the field; nothing is
printed on stdout then, not even for the records that could be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.progress import Progress
from rich.table import Table

from dermtrial.cli._common import (
    EXIT_CHECK_FAILED,
    bad_usage,
    exit_bad_input,
    parse_json_input,
    print_json,
    read_text_input,
    stderr,
    stdout,
)
from dermtrial.eligibility import compile_criteria, evaluate_candidate, read_record, screen_frame
from dermtrial.eligibility.table import MAX_PROBLEMS
from dermtrial.eligibility.template import template_record
from dermtrial.errors import InvalidInput, Problem
from dermtrial.protocol.builtin import builtin_ids, resolve
from dermtrial.protocol.loader import load_text
from dermtrial.protocol.model import Protocol

app = typer.Typer(
    help="Screen candidates against a protocol's eligibility criteria (docs/eligibility.md).",
    no_args_is_help=True,
)

ProtocolOption = Annotated[
    str, typer.Option("--protocol", "-p", help="A built-in registry id (NCT03392311, NCT04275024) or a protocol file.")
]


def load_protocol(id_or_file: str) -> Protocol:
    """The protocol named on the command line, or exit 2 saying why it cannot be used."""
    try:
        text, source = resolve(id_or_file)
    except FileNotFoundError:
        bad_usage(f"{id_or_file}: no such file, and not a built-in protocol (built-in: {', '.join(builtin_ids())})")
    except UnicodeDecodeError:
        bad_usage(f"{id_or_file}: not UTF-8 text")
    try:
        return load_text(text, source)
    except InvalidInput as exc:
        exit_bad_input(exc.problems)


@app.command()
def template(protocol: ProtocolOption) -> None:
    """Print a complete screening record of an eligible candidate (JSON), every field filled in."""
    print_json(template_record(load_protocol(protocol)))


@app.command()
def check(
    protocol: ProtocolOption,
    input_file: Annotated[
        Path | None,
        typer.Option("--input", "-i", help="JSON file: one screening record or an array; stdin when absent or '-'."),
    ] = None,
) -> None:
    """Evaluate screening records (JSON) and print each verdict with every criterion's result and evidence."""
    loaded = load_protocol(protocol)
    text, source = read_text_input(input_file)
    data = parse_json_input(text, source)
    batch = isinstance(data, list)
    records = data if batch else [data]
    criteria = compile_criteria(loaded)
    results: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for index, raw in enumerate(records):
        prefix: tuple[int, ...] = (index,) if batch else ()
        try:
            results.append(evaluate_candidate(loaded, read_record(raw), criteria=criteria).to_json())
        except InvalidInput as exc:
            problems.extend(Problem((*prefix, *p.path), p.message, value=p.value) for p in exc.problems)
    if problems:
        exit_bad_input(problems)
    print_json(results if batch else results[0])
    if any(result["verdict"] != "eligible" for result in results):
        raise typer.Exit(EXIT_CHECK_FAILED)


_READERS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def _format_of(path: Path) -> str:
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        bad_usage(f"{path}: unknown table format (use .csv, .parquet, .jsonl or .ndjson)")
    return kind


def _read_table(path: Path) -> pl.DataFrame:
    kind = _format_of(path)
    if not path.is_file():
        bad_usage(f"{path}: no such file")
    try:
        if kind == "csv":
            return pl.read_csv(path, infer_schema=False)
        if kind == "parquet":
            return pl.read_parquet(path)
        return pl.read_ndjson(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        bad_usage(f"{path}: cannot be read as {kind}: {str(exc).splitlines()[0]}")


def _write_table(frame: pl.DataFrame, path: Path) -> None:
    kind = _format_of(path)
    if kind == "csv":
        frame.write_csv(path)
    elif kind == "parquet":
        frame.write_parquet(path)
    else:
        frame.write_ndjson(path)


def _summary(verdicts: pl.DataFrame, criteria: list[str]) -> dict[str, Any]:
    counts = verdicts["verdict"].value_counts()
    by_verdict = {row["verdict"]: row["count"] for row in counts.iter_rows(named=True)}
    return {
        "candidates": verdicts.height,
        "eligible": by_verdict.get("eligible", 0),
        "ineligible": by_verdict.get("ineligible", 0),
        "incomplete": by_verdict.get("incomplete", 0),
        "not_satisfied": {c: int((verdicts[c] == "not_satisfied").sum()) for c in criteria},
        "unknown": {c: int((verdicts[c] == "unknown").sum()) for c in criteria},
    }


@app.command()
def screen(
    protocol: ProtocolOption,
    table: Annotated[Path, typer.Argument(help="Candidates, one per row: .csv, .parquet, .jsonl or .ndjson.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Verdict table to write (format by extension); default TABLE.verdicts.<same format>."
        ),
    ] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Rows screened per step.")] = 200_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Screen a table of candidates (vectorised) and write a verdict table naming the failing criteria."""
    loaded = load_protocol(protocol)
    target = output or table.with_name(f"{table.stem}.verdicts{table.suffix}")
    _format_of(target)
    if target.resolve() == table.resolve():
        bad_usage(f"{target}: the verdict table would overwrite the input")
    frame = _read_table(table)
    criteria = compile_criteria(loaded)
    parts: list[pl.DataFrame] = []
    problems: list[Problem] = []
    with Progress(console=stderr, transient=True, disable=not stderr.is_terminal) as progress:
        task = progress.add_task(f"screening {frame.height:,} candidates", total=max(frame.height, 1))
        for start in range(0, max(frame.height, 1), chunk_size):
            chunk = frame.slice(start, chunk_size)
            try:
                parts.append(screen_frame(loaded, chunk, criteria=criteria, first_row=start))
            except InvalidInput as exc:
                problems = list(dict.fromkeys([*problems, *exc.problems]))  # a bad column is reported once
                if len(problems) >= MAX_PROBLEMS:
                    break
            progress.advance(task, chunk.height)
    if problems:
        exit_bad_input(problems)
    verdicts = pl.concat(parts) if parts else pl.DataFrame()
    _write_table(verdicts, target)
    summary = {"output": str(target), **_summary(verdicts, [c.id for c in criteria])}
    if as_json:
        print_json(summary)
        return
    stdout.print(
        f"{summary['candidates']:,} candidates screened against {loaded.identity.registry_id}: "
        f"{summary['eligible']:,} eligible, {summary['ineligible']:,} ineligible, "
        f"{summary['incomplete']:,} incomplete. Verdicts written to {target}",
        markup=False,
    )
    grid = Table("criterion", "not satisfied", "unknown")
    for criterion in criteria:
        grid.add_row(
            criterion.id, f"{summary['not_satisfied'][criterion.id]:,}", f"{summary['unknown'][criterion.id]:,}"
        )
    stdout.print(grid)
