"""Migrations: from empty to head on both engines, and the models match what the migrations build."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import dermtrial.store.models  # noqa: F401
from dermtrial.store.base import Base
from dermtrial.store.engine import Database
from dermtrial.store.migrate import current_revision, head_revision, upgrade


@pytest.mark.requirement("REG-SYS-01")
def test_the_migrated_schema_matches_the_models_exactly(db: Database) -> None:
    assert current_revision(db) == head_revision(db)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


@pytest.mark.requirement("REG-SYS-01")
def test_upgrading_again_changes_nothing(db: Database) -> None:
    before, after = upgrade(db)
    assert before == after == head_revision(db)


def test_every_model_table_exists_with_the_chain_head_row(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with db.engine.connect() as connection:
        head = connection.exec_driver_sql("SELECT id, last_seq, last_hash FROM audit_chain_head").all()
    assert head == [(1, 0, "0" * 64)]


@pytest.mark.requirement("REG-SYS-02")
def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(db: Database) -> None:
    if not db.is_sqlite:
        return
    with db.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30000}
