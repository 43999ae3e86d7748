"""``dermtrial init`` and ``dermtrial db upgrade``: create or upgrade the study database."""

from __future__ import annotations

import typer

from dermtrial.cli._common import bad_usage, stdout
from dermtrial.cli._store import DB_OPTION, database, read_secret_stdin, run
from dermtrial.services.accounts import init_database, upgrade_database
from dermtrial.store import utc_now

app = typer.Typer(help="The study database's schema.", no_args_is_help=True)


def init(
    admin: str = typer.Option(..., "--admin", help="User name of the first administrator."),
    full_name: str = typer.Option(..., "--full-name", help="The administrator's full name (shown with signatures)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the administrator's password from the first line of stdin."
    ),
    db_url: str | None = DB_OPTION,
) -> None:
    """Create (or upgrade) the database, load the roles and create the first administrator."""
    with database(db_url, must_be_initialised=False) as db:
        if not password_stdin:
            bad_usage("give the administrator's password on stdin with --password-stdin (it is never an argument)")
        password = read_secret_stdin("password")
        created = run(lambda: init_database(db, username=admin, full_name=full_name, password=password, now=utc_now()))
        where = db.url.render_as_string(hide_password=True)
        if created:
            stdout.print(f"initialised {where}: administrator {admin} created", markup=False)
        else:
            stdout.print(f"{where} already has users: schema and roles brought up to date, no user added", markup=False)


@app.command("upgrade")
def upgrade(db_url: str | None = DB_OPTION) -> None:
    """Bring the schema to the newest revision shipped with this dermtrial."""
    with database(db_url, must_be_initialised=False) as db:
        before, after, changes = run(lambda: upgrade_database(db, now=utc_now()))
        if before == after:
            stdout.print(f"schema already at revision {after}", markup=False)
        else:
            stdout.print(f"schema upgraded from revision {before or '(empty)'} to {after}", markup=False)
        for change in changes:
            stdout.print(f"roles: {change}", markup=False)
