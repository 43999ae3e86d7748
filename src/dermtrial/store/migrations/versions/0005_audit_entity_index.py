"""Indexes on (entity_type, entity_id) of the audit trail and of signatures, so that a record's history and its
signatures are found without reading every row (at 50,000 subjects a form's history read 1.6 million events, and
each change to a signed record read every signature of the study)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 06:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_event_entity", "audit_event", ["entity_type", "entity_id"])
    op.drop_index("ix_audit_event_entity_type", table_name="audit_event")
    op.create_index("ix_signature_entity", "signature", ["entity_type", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_signature_entity", table_name="signature")
    op.create_index("ix_audit_event_entity_type", "audit_event", ["entity_type"])
    op.drop_index("ix_audit_event_entity", table_name="audit_event")
