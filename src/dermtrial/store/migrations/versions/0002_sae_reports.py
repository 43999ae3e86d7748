"""Safety: SAE reports with their reporting clocks; expectedness per product on adverse events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("adverse_event", sa.Column("expectedness", sa.JSON(), nullable=True))
    op.create_table(
        "sae_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adverse_event_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("aware_local", sa.String(length=32), nullable=False),
        sa.Column("aware_tz", sa.String(length=64), nullable=False),
        sa.Column("aware_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.Column("expedited", sa.JSON(), nullable=False),
        sa.Column("sponsor_due_date", sa.Date(), nullable=True),
        sa.Column("follow_up_due_date", sa.Date(), nullable=True),
        sa.Column("clock_version", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["adverse_event_id"], ["adverse_event.id"], name=op.f("fk_sae_report_adverse_event_id_adverse_event")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_sae_report_created_by_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sae_report")),
    )
    op.create_index(op.f("ix_sae_report_adverse_event_id"), "sae_report", ["adverse_event_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sae_report_adverse_event_id"), table_name="sae_report")
    op.drop_table("sae_report")
    with op.batch_alter_table("adverse_event") as batch:
        batch.drop_column("expectedness")
