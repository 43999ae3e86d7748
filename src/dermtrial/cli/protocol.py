"""``dermtrial protocol …``: list, show, validate, schema, import-ctgov."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from dermtrial.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    bad_usage,
    exit_bad_input,
    print_json,
    print_problems,
    read_text_input,
    stderr,
    stdout,
)
from dermtrial.errors import InvalidInput
from dermtrial.protocol.builtin import builtin_ids, resolve, validate_builtin
from dermtrial.protocol.loader import ValidationReport, content_hash, validate_text
from dermtrial.protocol.model import Protocol

app = typer.Typer(
    help="Protocol files: list, show, validate, JSON Schema, import from ClinicalTrials.gov.",
    no_args_is_help=True,
)

JSON_OPTION = typer.Option(False, "--json", help="Machine output (JSON) on stdout.")


def _report(id_or_file: str) -> ValidationReport:
    try:
        text, source = resolve(id_or_file)
    except FileNotFoundError:
        known = ", ".join(builtin_ids())
        bad_usage(f"{id_or_file}: no such file, and not a built-in protocol (built-in: {known})")
    except UnicodeDecodeError:
        bad_usage(f"{id_or_file}: not UTF-8 text")
    return validate_text(text, source)


def _dose_text(protocol: Protocol, intervention_id: str) -> str:
    intervention = protocol.intervention(intervention_id)
    dose = intervention.dose
    parts = [intervention.route.lower() if intervention.route else "route not given"]
    if dose is not None:
        parts.append(f"{dose.amount:g} {dose.unit}" + (" (per body weight)" if dose.basis == "body_weight" else ""))
    parts.append(intervention.frequency or "frequency not given")
    if intervention.duration is not None:
        parts.append(f"for {intervention.duration.amount:g} {intervention.duration.unit}")
    if intervention.administered_at:
        parts.append("at " + ", ".join(intervention.administered_at))
    return ", ".join(parts)


def _summary(protocol: Protocol, digest: str) -> None:
    identity, design = protocol.identity, protocol.design
    stdout.print(f"[bold]{identity.registry_id}[/bold] {identity.sponsor_code or ''}  version {protocol.version}")
    stdout.print(identity.brief_title, markup=False)
    stdout.print(
        f"{design.study_type} · {'/'.join(design.phases) or 'no phase'} · {design.intervention_model} · "
        f"masking {design.masking} · enrollment {design.enrollment.count} ({design.enrollment.type})",
        markup=False,
    )
    stdout.print(f"content hash {digest}")
    table = Table(title="Interventions")
    table.add_column("id", no_wrap=True)
    for column in ("name", "kind", "dose and schedule"):
        table.add_column(column)
    for intervention in protocol.interventions:
        table.add_row(intervention.id, intervention.name, intervention.kind, _dose_text(protocol, intervention.id))
    stdout.print(table)
    visits = Table(title="Visits (offset from the first treatment date; study day = offset + 1)")
    visits.add_column("id", no_wrap=True)
    for column in ("label", "offset_days", "study_day", "window", "forms"):
        visits.add_column(column)
    for visit in protocol.visits:
        window = f"-{visit.window.before}/+{visit.window.after}"
        visits.add_row(
            visit.id, visit.label, str(visit.offset_days), str(visit.study_day), window, " ".join(visit.forms)
        )
    stdout.print(visits)
    endpoints = Table(title="Endpoints")
    endpoints.add_column("id", no_wrap=True)
    for column in ("type", "title", "derivation", "timepoint"):
        endpoints.add_column(column)
    for endpoint in protocol.endpoints:
        endpoints.add_row(
            endpoint.id, endpoint.type, endpoint.title, endpoint.derivation or "-", endpoint.timepoint or "-"
        )
    stdout.print(endpoints)
    eligibility = protocol.eligibility
    kinds: dict[str, int] = {}
    for criterion in [*eligibility.inclusion, *eligibility.exclusion]:
        kinds[criterion.kind] = kinds.get(criterion.kind, 0) + 1
    counted = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    stdout.print(
        f"Eligibility: {len({c.number for c in eligibility.inclusion})} inclusion and "
        f"{len({c.number for c in eligibility.exclusion})} exclusion criteria as registered, in "
        f"{len(eligibility.inclusion) + len(eligibility.exclusion)} parts ({counted}); "
        f"{len(protocol.forms)} forms; {len(protocol.assumptions)} assumptions."
    )


@app.command("list")
def list_protocols(as_json: bool = JSON_OPTION) -> None:
    """List the built-in protocols with their version, content hash and validity."""
    rows: list[dict[str, Any]] = []
    for registry_id in builtin_ids():
        report = validate_builtin(registry_id)
        protocol = report.protocol
        rows.append(
            {
                "registry_id": registry_id,
                "version": protocol.version if protocol else None,
                "title": protocol.identity.brief_title if protocol else None,
                "content_hash": content_hash(protocol) if protocol else None,
                "valid": report.exit_code == 0,
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table(title="Built-in protocols")
    table.add_column("registry id", no_wrap=True)
    for column in ("version", "title", "content hash", "valid"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["registry_id"],
            row["version"] or "-",
            row["title"] or "-",
            (row["content_hash"] or "-")[:12],
            "yes" if row["valid"] else "NO",
        )
    stdout.print(table)


@app.command("show")
def show(
    id_or_file: str = typer.Argument(..., metavar="ID_OR_FILE", help="A built-in registry id or a protocol file."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a protocol: identity, design, interventions, visits, endpoints (the whole file with --json)."""
    report = _report(id_or_file)
    if report.invalid or report.protocol is None:
        exit_bad_input(report.invalid)
    protocol = report.protocol
    digest = content_hash(protocol)
    if as_json:
        data = protocol.model_dump(mode="json", by_alias=True)
        data["content_hash"] = digest
        print_json(data)
    else:
        _summary(protocol, digest)
    if report.incomplete:
        stderr.print(f"warning: {report.source} is incomplete ({len(report.incomplete)} items to complete)")


@app.command("validate")
def validate(
    file: str = typer.Argument(..., metavar="FILE", help="A protocol file (or a built-in registry id)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Validate a protocol file: exit 0 valid, 1 incomplete (a draft), 2 invalid."""
    report = _report(file)
    if as_json:
        print_json(
            {
                "source": report.source,
                "valid": report.exit_code == 0,
                "content_hash": content_hash(report.protocol) if report.protocol else None,
                "invalid": [p.as_dict() for p in report.invalid],
                "incomplete": [p.as_dict() for p in report.incomplete],
            }
        )
        raise typer.Exit(report.exit_code)
    if report.invalid:
        exit_bad_input(report.invalid)
    if report.incomplete:
        print_problems(report.incomplete)
        stderr.print(f"{report.source}: incomplete: {len(report.incomplete)} items to complete")
        raise typer.Exit(EXIT_CHECK_FAILED)
    assert report.protocol is not None
    stdout.print(f"{report.source}: valid (content hash {content_hash(report.protocol)})", markup=False)


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the protocol file format."""
    print_json(Protocol.model_json_schema(by_alias=True))


@app.command("import-ctgov")
def import_ctgov(
    file: Path = typer.Argument(..., metavar="FILE.json", help="A ClinicalTrials.gov API v2 study record."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the draft here instead of stdout."),
) -> None:
    """Turn a ClinicalTrials.gov v2 record into a draft protocol file, listing what is left to complete."""
    from dermtrial.protocol import ctgov  # imported here: only this command needs it

    text, source = read_text_input(file)
    try:
        record = ctgov.parse_record(text, source)
        draft = ctgov.draft_yaml(record)
    except InvalidInput as exc:
        exit_bad_input(exc.problems)
    report = validate_text(draft, str(output) if output else "<draft>")
    if report.invalid:  # the importer must always write a structurally valid draft
        print_problems(report.invalid)
        raise typer.Exit(EXIT_BAD_INPUT)
    if output is None:
        typer.echo(draft, nl=False)
    else:
        output.write_text(draft, encoding="utf-8")
        stderr.print(f"wrote {output}")
    stderr.print(
        f"draft of {json.dumps(record['protocolSection']['identificationModule']['nctId'])}: "
        f"{len(report.incomplete)} items to complete; run 'dermtrial protocol validate' after editing"
    )
