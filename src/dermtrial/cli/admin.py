"""``dermtrial study create``, ``dermtrial site add``, ``dermtrial user add|grant|revoke``."""

from __future__ import annotations

import typer

from dermtrial.cli._common import bad_usage, stdout
from dermtrial.cli._store import AS_OPTION, DB_OPTION, database, read_secret_stdin, run, signed_in
from dermtrial.services.accounts import add_user, grant_role, revoke_role
from dermtrial.services.studies import add_site, create_study
from dermtrial.store import utc_now

study_app = typer.Typer(help="Studies: create one from a protocol.", no_args_is_help=True)
site_app = typer.Typer(help="Sites of the study.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles per site.", no_args_is_help=True)

SITE_OPTION = typer.Option(None, "--site", help="Site code (required for site roles, omitted for study-wide roles).")


@study_app.command("create")
def study_create(
    protocol: str = typer.Option(..., "--protocol", help="Built-in protocol id (NCT03392311) or a protocol file."),
    db_url: str | None = DB_OPTION,
    as_user: str | None = AS_OPTION,
) -> None:
    """Create the study following a protocol; its snapshot and content hash are stored."""
    with database(db_url) as db:
        with signed_in(db, as_user) as actor:
            study_id = run(lambda: create_study(db, actor, protocol=protocol, now=utc_now()))
        stdout.print(f"study {study_id} created for {protocol}", markup=False)


@site_app.command("add")
def site_add(
    code: str = typer.Argument(..., help="Site code, used in subject numbers (GZ01)."),
    name: str = typer.Option(..., "--name", help="The institution."),
    timezone: str = typer.Option(..., "--timezone", help="IANA time zone of the site (Asia/Shanghai)."),
    city: str | None = typer.Option(None, "--city", help="City."),
    country: str | None = typer.Option(None, "--country", help="Country."),
    db_url: str | None = DB_OPTION,
    as_user: str | None = AS_OPTION,
) -> None:
    """Add a site to the study."""
    with database(db_url) as db:
        with signed_in(db, as_user) as actor:
            run(
                lambda: add_site(
                    db, actor, code=code, name=name, timezone=timezone, city=city, country=country, now=utc_now()
                )
            )
        stdout.print(f"site {code} added ({timezone})", markup=False)


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="Sign-in name (lower case)."),
    role: str = typer.Option(..., "--role", help="First role: investigator, coordinator, monitor, …"),
    full_name: str = typer.Option(..., "--full-name", help="The person's full name (shown with signatures)."),
    site: str | None = SITE_OPTION,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the new user's password from stdin."),
    db_url: str | None = DB_OPTION,
    as_user: str | None = AS_OPTION,
) -> None:
    """Add a user with a first role."""
    if not password_stdin:
        bad_usage("give the new user's password on stdin with --password-stdin (it is never an argument)")
    password = read_secret_stdin("password")
    with database(db_url) as db:
        with signed_in(db, as_user) as actor:
            run(
                lambda: add_user(
                    db, actor, username=username, full_name=full_name, password=password, role=role, site_code=site,
                    now=utc_now(),
                )
            )  # fmt: skip
        stdout.print(f"user {username} added as {role}" + (f" at {site}" if site else ""), markup=False)


@user_app.command("grant")
def user_grant(
    username: str = typer.Argument(..., help="The user."),
    role: str = typer.Option(..., "--role", help="The role to give."),
    site: str | None = SITE_OPTION,
    db_url: str | None = DB_OPTION,
    as_user: str | None = AS_OPTION,
) -> None:
    """Give a user a role at a site (or at every site for study-wide roles)."""
    with database(db_url) as db:
        with signed_in(db, as_user) as actor:
            run(lambda: grant_role(db, actor, username=username, role=role, site_code=site, now=utc_now()))
        stdout.print(f"{username} now holds {role}" + (f" at {site}" if site else " at every site"), markup=False)


@user_app.command("revoke")
def user_revoke(
    username: str = typer.Argument(..., help="The user."),
    role: str = typer.Option(..., "--role", help="The role to end."),
    reason: str = typer.Option(..., "--reason", help="Why the grant ends (recorded in the audit trail)."),
    site: str | None = SITE_OPTION,
    db_url: str | None = DB_OPTION,
    as_user: str | None = AS_OPTION,
) -> None:
    """End a user's role at a site; the grant is kept, marked revoked."""
    with database(db_url) as db:
        with signed_in(db, as_user) as actor:
            run(
                lambda: revoke_role(
                    db, actor, username=username, role=role, site_code=site, reason=reason, now=utc_now()
                )
            )
        stdout.print(f"{username} no longer holds {role}" + (f" at {site}" if site else ""), markup=False)
