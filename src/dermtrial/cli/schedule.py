"""``dermtrial schedule --protocol ID --first-treatment DATE [--json]``: every visit with target date and window."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from dermtrial.cli._common import print_json, stdout
from dermtrial.cli._conduct import JsonOption, ProtocolOption, date_from_option, protocol_from_option
from dermtrial.conduct import plan_schedule


def schedule(
    protocol: ProtocolOption,
    first_treatment: Annotated[
        str, typer.Option("--first-treatment", help="The first treatment date (study day 1), YYYY-MM-DD.")
    ],
    json_output: JsonOption = False,
) -> None:
    """Print every visit with its study day, target date and window, from the first treatment date."""
    loaded = protocol_from_option(protocol)
    first = date_from_option("--first-treatment", first_treatment)
    plan = plan_schedule(loaded.visits, first)
    if json_output:
        print_json({"visits": [p.to_json() for p in plan]})
        return
    table = Table(title=f"{loaded.identity.registry_id}: visits from the first treatment on {first.isoformat()}")
    for column in ("visit", "label", "study day", "target", "window"):
        table.add_column(column)
    for p in plan:
        window = f"{p.window_start.isoformat()} – {p.window_end.isoformat()}"
        table.add_row(p.visit_id, p.label, str(p.study_day), p.target_date.isoformat(), window)
    stdout.print(table)
