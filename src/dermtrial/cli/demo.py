"""``dermtrial demo``: for now, show the built-in protocols and validate them.

The full demo study (synthetic subjects through screening, dosing and the week-12 report) arrives with the issue
"Demo study, synthetic cohorts and benchmark suite"; until then the demo proves that the protocols load and validate.
"""

from __future__ import annotations

import typer
from rich.table import Table

from dermtrial.cli._common import EXIT_CHECK_FAILED, print_problems, stdout
from dermtrial.protocol.builtin import builtin_ids, validate_builtin
from dermtrial.protocol.loader import content_hash


def demo() -> None:
    """Show the built-in protocols and validate each one (the full demo study is not built yet)."""
    table = Table(title="dermtrial demo: built-in protocols")
    for column in (
        "registry id",
        "interventions",
        "visits",
        "forms",
        "criteria",
        "primary endpoint",
        "valid",
    ):
        table.add_column(column)
    failed = False
    for registry_id in builtin_ids():
        report = validate_builtin(registry_id)
        protocol = report.protocol
        if protocol is None or report.exit_code != 0:
            failed = True
            print_problems(report.invalid + report.incomplete)
            table.add_row(registry_id, "-", "-", "-", "-", "-", "NO")
            continue
        primary = protocol.primary_endpoint()
        criteria = len(protocol.eligibility.inclusion) + len(protocol.eligibility.exclusion)
        table.add_row(
            registry_id,
            ", ".join(i.id for i in protocol.interventions),
            str(len(protocol.visits)),
            str(len(protocol.forms)),
            str(criteria),
            f"{primary.instrument} {primary.derivation} at {primary.timepoint}" if primary else "-",
            f"yes {content_hash(protocol)[:8]}",
        )
    stdout.print(table)
    if failed:
        raise typer.Exit(EXIT_CHECK_FAILED)
    stdout.print("Next: 'dermtrial protocol show NCT03392311' for the schedule, '--json' for the whole file.")
