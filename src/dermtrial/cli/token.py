"""``dermtrial token create|list|revoke``: API bearer tokens, made by the user they act as, shown once."""

from __future__ import annotations

import datetime as dt

import typer

from dermtrial.cli._common import print_json, stdout
from dermtrial.cli._store import DB_OPTION, database, run, signed_in
from dermtrial.services.api_tokens import create_api_token, list_api_tokens, revoke_api_token
from dermtrial.store import utc_now

app = typer.Typer(help="API bearer tokens: create (shown once), list, revoke.", no_args_is_help=True)

USER_OPTION = typer.Option(
    None, "--user", help="The user signing in (default: DERMTRIAL_USER); password from DERMTRIAL_PASSWORD."
)


@app.command("create")
def create(
    user: str | None = USER_OPTION,
    name: str = typer.Option("API client", "--name", help="What the token is for (shown in token list)."),
    days: int | None = typer.Option(None, "--expires-days", min=1, max=3650, help="Expire after this many days."),
    as_json: bool = typer.Option(False, "--json", help='Print exactly {"token": "..."}.'),
    db_url: str | None = DB_OPTION,
) -> None:
    """Make a token acting as --user (who signs in with their password); it is printed once and stored hashed."""
    with database(db_url) as db, signed_in(db, user) as actor:
        now = utc_now()
        expires = now + dt.timedelta(days=days) if days else None
        made = run(lambda: create_api_token(db, actor, name=name, now=now, expires_at=expires))
    if as_json:
        print_json({"token": made.token})
        return
    stdout.print(f"token {made.token_id} for {actor.username} ({made.name}); shown once, keep it secret:", markup=False)
    stdout.print(made.token, markup=False)


@app.command("list")
def list_tokens(
    user: str | None = USER_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    db_url: str | None = DB_OPTION,
) -> None:
    """List --user's own tokens (never the secret)."""
    with database(db_url) as db, signed_in(db, user) as actor:
        tokens = run(lambda: list_api_tokens(db, actor))
    rows = [
        {
            "id": t.token_id,
            "name": t.name,
            "created_at": t.created_at.isoformat(),
            "expires_at": t.expires_at.isoformat() if t.expires_at else None,
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        }
        for t in tokens
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state = "revoked" if row["revoked_at"] else "active"
        stdout.print(f"{row['id']}\t{state}\t{row['name']}\tcreated {row['created_at']}", markup=False)


@app.command("revoke")
def revoke(
    token_id: int = typer.Argument(..., help="The token's id (from token create or token list)."),
    user: str | None = USER_OPTION,
    db_url: str | None = DB_OPTION,
) -> None:
    """Revoke a token: --user is its owner, or an administrator (user.manage)."""
    with database(db_url) as db, signed_in(db, user) as actor:
        run(lambda: revoke_api_token(db, actor, token_id=token_id, now=utc_now()))
    stdout.print(f"token {token_id} revoked", markup=False)
