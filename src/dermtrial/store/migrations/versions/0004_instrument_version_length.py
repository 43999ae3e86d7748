"""Forms: room for the longest scoring-rule version (the Zung rule's is 34 characters)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("form_instance") as batch:
        batch.alter_column(
            "instrument_version", existing_type=sa.String(length=32), type_=sa.String(length=64), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("form_instance") as batch:
        batch.alter_column(
            "instrument_version", existing_type=sa.String(length=64), type_=sa.String(length=32), existing_nullable=True
        )
