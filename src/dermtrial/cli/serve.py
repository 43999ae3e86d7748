"""``dermtrial serve``: run the web app (pages and ``/api/v1``) with uvicorn."""

from __future__ import annotations

import typer

from dermtrial.cli._common import bad_usage
from dermtrial.cli._store import DB_OPTION, database


def serve(
    db_url: str | None = DB_OPTION,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the web app; settings come from the environment (DERMTRIAL_SECRET_KEY …, see docs/web.md)."""
    import uvicorn

    from dermtrial.web import Settings, SettingsError, create_app

    try:
        settings = Settings.from_env(database_url=db_url)
    except SettingsError as exc:
        bad_usage(str(exc))
    with database(settings.database_url):
        pass  # exits 2 when the database cannot be opened, is empty or needs an upgrade
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False, server_header=False)
