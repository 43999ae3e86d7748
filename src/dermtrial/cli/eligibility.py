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

import typer

from dermtrial.cli._common import (
    EXIT_CHECK_FAILED,
    bad_usage,
    exit_bad_input,
    print_json,
    read_text_input,
)
from dermtrial.cli.score import _parse as parse_json
from dermtrial.eligibility import compile_criteria, evaluate_candidate, read_record
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
    data = parse_json(text, source)
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
