"""Schema migrations (Alembic, shipped inside the package): the same scripts on SQLite and PostgreSQL."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from dermtrial.store.engine import Database


def alembic_config(db: Database) -> Config:
    """An Alembic configuration pointing at the packaged ``migrations`` folder."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("dermtrial.store") / "migrations"))
    config.set_main_option("sqlalchemy.url", db.url.render_as_string(hide_password=False))
    return config


def head_revision(db: Database) -> str | None:
    """The newest revision shipped with this version of dermtrial."""
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def current_revision(db: Database) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to ``revision``; returns (revision before, revision after)."""
    before = current_revision(db)
    config = alembic_config(db)
    with db.write_connection() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return before, current_revision(db)
