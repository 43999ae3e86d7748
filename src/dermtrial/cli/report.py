"""``dermtrial report …``: study reports read from the database (``missing-forms``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from dermtrial.cli._common import print_json, stdout
from dermtrial.cli._store import AS_OPTION, DB_OPTION, database, run, signed_in
from dermtrial.services.missing_forms import missing_forms as missing_forms_service
from dermtrial.store import utc_now

app = typer.Typer(help="Reports read from the study database.", no_args_is_help=True)


@app.command("missing-forms")
def missing_forms(
    site: Annotated[str | None, typer.Option("--site", help="Only this site (code).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Machine output (JSON) on stdout.")] = False,
    db_url: str | None = DB_OPTION,
    username: str | None = AS_OPTION,
) -> None:
    """List missing and overdue forms per subject and visit (the sites you may read, or --site)."""
    with database(db_url) as db, signed_in(db, username) as actor:
        rows = run(lambda: missing_forms_service(db, actor, now=utc_now(), site_code=site))
    if json_output:
        print_json({"missing_forms": [r.to_json() for r in rows]})
        return
    if not rows:
        stdout.print("No missing or overdue forms.")
        return
    table = Table(title=f"Missing forms ({sum(r.overdue for r in rows)} overdue of {len(rows)})")
    for column in ("site", "subject", "visit", "form", "status", "overdue", "window end"):
        table.add_column(column)
    for r in rows:
        end = "" if r.window_end is None else r.window_end.isoformat()
        table.add_row(r.site, r.subject, r.visit, r.form, r.status, "yes" if r.overdue else "", end)
    stdout.print(table)
