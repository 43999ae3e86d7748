"""The ``dermtrial`` command line: a thin typer app; every command calls the core or a service.

Sub-commands live in one module each (``protocol``, ``score``, ``demo``) and are assembled here.
"""

from __future__ import annotations

import typer

from dermtrial import __version__
from dermtrial.cli import (
    admin,
    analyze,
    audit,
    backup,
    casebook,
    control,
    db,
    demo,
    doctor,
    dose,
    eligibility,
    export,
    grade,
    protocol,
    report,
    safety,
    schedule,
    score,
    serve,
    simulate,
    token,
)

app = typer.Typer(
    name="dermtrial",
    help="Run a dermatology clinical trial from screening to the primary-endpoint report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(protocol.app, name="protocol")
app.add_typer(eligibility.app, name="eligibility")
app.command("score")(score.score)
app.command("dose")(dose.dose)
app.command("schedule")(schedule.schedule)
app.add_typer(report.app, name="report")
app.add_typer(grade.app, name="grade")
app.add_typer(safety.app, name="safety")
app.command("demo")(demo.demo)
app.command("simulate")(simulate.simulate)
app.command("init")(db.init)
app.add_typer(db.app, name="db")
admin.study_app.command("lock")(control.study_lock)
admin.study_app.command("unlock")(control.study_unlock)
app.add_typer(admin.study_app, name="study")
app.add_typer(admin.site_app, name="site")
app.add_typer(admin.user_app, name="user")
app.add_typer(audit.app, name="audit")
app.add_typer(control.cut_app, name="cut")
app.add_typer(export.app, name="export")
app.command("backup")(backup.backup)
app.command("analyze")(analyze.analyze)
app.command("restore")(backup.restore)
app.command("serve")(serve.serve)
app.add_typer(token.app, name="token")
app.command("casebook")(casebook.casebook)
app.command("doctor")(doctor.doctor)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dermtrial {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """dermtrial: the protocol is data, the clinic is a pure core."""


def main() -> None:
    """Console-script entry point."""
    app()
