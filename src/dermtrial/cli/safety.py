"""``dermtrial safety due [--input FILE]``: whether a case needs an expedited (SUSAR) report and when (docs/safety.md).

Reads one object, or an array, ``{"awareness_date", "serious", "fatal_or_life_threatening", "products": [{"product",
"related", "expected"}]}`` and prints, in the same order, ``{"expedited", "products", "due_date", "clock_days",
"follow_up_due_date"}``. The clocks are the protocol's (``--protocol``, default NCT03392311: 7 days with a follow-up
8 days later when fatal or life-threatening, 15 otherwise, from the awareness date). Bad input exits 2 naming the
field, the value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dermtrial.cli._common import exit_bad_input, parse_json_input, print_json, read_text_input
from dermtrial.cli.eligibility import load_protocol
from dermtrial.errors import Problem
from dermtrial.safety.clocks import expedited_report
from dermtrial.safety.due_request import read_due_request

app = typer.Typer(help="Safety reporting: expedited-report clocks (docs/safety.md).", no_args_is_help=True)

InputOption = Annotated[
    Path | None,
    typer.Option("--input", "-i", help="JSON file to read (one object or an array); stdin when absent or '-'."),
]
ProtocolOption = Annotated[
    str, typer.Option("--protocol", "-p", help="A built-in registry id or a protocol file (its reporting clocks).")
]


@app.command()
def due(input_file: InputOption = None, protocol: ProtocolOption = "NCT03392311") -> None:
    """Expedited (SUSAR) report due dates for cases (one JSON object or an array), in the same order."""
    clocks = load_protocol(protocol).safety.clocks
    text, source = read_text_input(input_file)
    data = parse_json_input(text, source)
    batch = isinstance(data, list)
    records = data if batch else [data]
    results: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for index, record in enumerate(records):
        request, found = read_due_request(record, (index,) if batch else ())
        problems.extend(found)
        if request is not None:
            report = expedited_report(
                request.awareness_date, request.serious, request.fatal_or_life_threatening, request.products, clocks
            )
            results.append(report.to_json())
    if problems:
        exit_bad_input(problems)
    print_json(results if batch else results[0])
