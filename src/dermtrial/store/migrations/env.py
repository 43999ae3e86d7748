"""Alembic environment: the package's own metadata, the connection given by :mod:`dermtrial.store.migrate`."""

from __future__ import annotations

from alembic import context

import dermtrial.store.models  # noqa: F401  (registers every table)
from dermtrial.store.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through dermtrial.store.migrate (dermtrial db upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
