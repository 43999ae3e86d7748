"""``dermtrial score INSTRUMENT [--input FILE]``: score instrument items given as JSON (docs/instruments.md).

Reads one JSON object, or an array of objects, from FILE or stdin, and prints one result object, or an array
of results in the same order, on stdout. Numbers are read exactly (a fraction is parsed as a decimal, never a
float) and types are strict: ``"2"`` or ``2.5`` where a whole-number score is expected is refused, not
coerced.

Bad input exits 2 with nothing on stdout and one stderr line per problem: the array index (for a batch), the
field path, the value and what is allowed, e.g. ``[3].head.erythema: 5 is not allowed: must be a whole number
0–4``. Malformed JSON exits 2 naming the line and column. The whole batch is checked before anything is
printed.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from dermtrial.cli._common import EXIT_BAD_INPUT, parse_json_input, print_json, read_text_input, stderr
from dermtrial.errors import Problem, problems_from_validation_error
from dermtrial.instruments import INSTRUMENTS

InstrumentName = Enum("InstrumentName", {name: name for name in INSTRUMENTS}, type=str)  # type: ignore[misc]


def _report(problems: list[Problem]) -> NoReturn:
    """One stderr line per problem, in input order (batch index, then field order), and exit 2."""
    for problem in problems:
        stderr.print(problem.format(), markup=False)
    raise typer.Exit(EXIT_BAD_INPUT)


def score(
    instrument: Annotated[InstrumentName, typer.Argument(help="Instrument: " + ", ".join(INSTRUMENTS) + ".")],
    input_file: Annotated[
        Path | None,
        typer.Option("--input", "-i", help="JSON file to read (one object or an array); stdin when absent or '-'."),
    ] = None,
) -> None:
    """Score instrument items given as JSON: one object or an array of objects, on FILE or stdin."""
    entry = INSTRUMENTS[instrument.value]
    text, source = read_text_input(input_file)
    data = parse_json_input(text, source)
    batch = isinstance(data, list)
    records = data if batch else [data]
    results: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for index, record in enumerate(records):
        try:
            results.append(entry.validate_and_score(record).to_json())
        except ValidationError as exc:
            problems.extend(problems_from_validation_error(exc, prefix=(index,) if batch else ()))
    if problems:
        _report(problems)
    print_json(results if batch else results[0])
