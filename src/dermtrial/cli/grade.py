"""``dermtrial grade lab [--input FILE]``: CTCAE v5.0 grades of laboratory results given as JSON (docs/safety.md).

Reads one object, or an array of objects, ``{"test", "value", "unit", "lln", "uln", "baseline"}`` (``CA`` may carry
``"albumin"`` in g/L) from FILE or stdin and prints, in the same order, ``{"test", "grades": {term: 0-4 | null}}``
with ``not_gradable`` reasons, ``value_only`` notes and, for calcium, whether it was corrected. Units and molar masses
come from the protocol (``--protocol``, default NCT03392311). Bad input exits 2 naming the field, the value and what
is allowed; the whole batch is checked before anything is printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dermtrial.cli._common import exit_bad_input, parse_json_input, print_json, read_text_input
from dermtrial.cli.eligibility import load_protocol
from dermtrial.errors import Problem
from dermtrial.safety.lab_request import grade_request, read_lab_request

app = typer.Typer(help="Grade results by NCI CTCAE v5.0 (docs/safety.md).", no_args_is_help=True)

InputOption = Annotated[
    Path | None,
    typer.Option("--input", "-i", help="JSON file to read (one object or an array); stdin when absent or '-'."),
]
ProtocolOption = Annotated[
    str, typer.Option("--protocol", "-p", help="A built-in registry id or a protocol file (units, settings).")
]


@app.command()
def lab(input_file: InputOption = None, protocol: ProtocolOption = "NCT03392311") -> None:
    """Grade laboratory results (one JSON object or an array) by CTCAE v5.0, in the same order."""
    study = load_protocol(protocol)
    tests = {test.code: test for test in study.safety.lab_tests}
    text, source = read_text_input(input_file)
    data = parse_json_input(text, source)
    batch = isinstance(data, list)
    records = data if batch else [data]
    results: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for index, record in enumerate(records):
        request, found = read_lab_request(record, tests, (index,) if batch else ())
        problems.extend(found)
        if request is not None:
            results.append(grade_request(request, study.settings).to_json())
    if problems:
        exit_bad_input(problems)
    print_json(results if batch else results[0])
