"""Initial schema: every table of the conceptual data model, the audit triggers and the chain head row

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 23:24:37.393896
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_app_user_created_by_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "permission",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_permission")),
    )
    op.create_table(
        "role",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_role")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_api_token_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_api_token_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_token_token_sha256")),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"], unique=False)

    op.create_table(
        "role_permission",
        sa.Column("role_code", sa.String(length=32), nullable=False),
        sa.Column("permission_code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["permission_code"], ["permission.code"], name=op.f("fk_role_permission_permission_code_permission")
        ),
        sa.ForeignKeyConstraint(["role_code"], ["role.code"], name=op.f("fk_role_permission_role_code_role")),
        sa.PrimaryKeyConstraint("role_code", "permission_code", name=op.f("pk_role_permission")),
    )
    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("entity_version", sa.Integer(), nullable=False),
        sa.Column("record_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("signer_name", sa.Text(), nullable=False),
        sa.Column("meaning", sa.String(length=32), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invalidated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invalidated_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_signature_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature")),
    )
    op.create_table(
        "study",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("protocol_id", sa.String(length=32), nullable=False),
        sa.Column("protocol_version", sa.String(length=32), nullable=False),
        sa.Column("protocol_content_hash", sa.String(length=64), nullable=False),
        sa.Column("protocol_snapshot", sa.JSON(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_study_created_by_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study")),
        sa.UniqueConstraint("protocol_id", name=op.f("uq_study_protocol_id")),
    )
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_user_session_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_user_session_token_sha256")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_username", sa.String(length=64), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("site_code", sa.String(length=32), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("entity_type", sa.String(length=32), nullable=True),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["actor_user_id"], ["app_user.id"], name=op.f("fk_audit_event_actor_user_id_app_user")),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_audit_event_study_id_study")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
    )
    op.create_index(op.f("ix_audit_event_entity_type"), "audit_event", ["entity_type"], unique=False)
    op.create_index(op.f("ix_audit_event_occurred_at"), "audit_event", ["occurred_at"], unique=False)
    op.create_index(op.f("ix_audit_event_subject_id"), "audit_event", ["subject_id"], unique=False)

    op.create_table(
        "data_cut",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_data_cut_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_data_cut_study_id_study")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_cut")),
    )
    op.create_index(op.f("ix_data_cut_study_id"), "data_cut", ["study_id"], unique=False)

    op.create_table(
        "record_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by_user_id", sa.Integer(), nullable=False),
        sa.Column("second_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlocked_by_user_id", sa.Integer(), nullable=True),
        sa.Column("unlock_second_user_id", sa.Integer(), nullable=True),
        sa.Column("unlock_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["locked_by_user_id"], ["app_user.id"], name=op.f("fk_record_lock_locked_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["second_user_id"], ["app_user.id"], name=op.f("fk_record_lock_second_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_record_lock_study_id_study")),
        sa.ForeignKeyConstraint(
            ["unlock_second_user_id"], ["app_user.id"], name=op.f("fk_record_lock_unlock_second_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["unlocked_by_user_id"], ["app_user.id"], name=op.f("fk_record_lock_unlocked_by_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_lock")),
    )
    op.create_index(op.f("ix_record_lock_study_id"), "record_lock", ["study_id"], unique=False)

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_site_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_site_study_id_study")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("study_id", "code", name=op.f("uq_site_study_id_code")),
    )
    op.create_index(op.f("ix_site_study_id"), "site", ["study_id"], unique=False)

    op.create_table(
        "study_key",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("hmac_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_study_key_study_id_study")),
        sa.PrimaryKeyConstraint("study_id", name=op.f("pk_study_key")),
    )
    op.create_table(
        "delegation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("delegated_by_user_id", sa.Integer(), nullable=False),
        sa.Column("ended_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_delegation_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["delegated_by_user_id"], ["app_user.id"], name=op.f("fk_delegation_delegated_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_delegation_site_id_site")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_delegation_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegation")),
    )
    op.create_index(op.f("ix_delegation_site_id"), "delegation", ["site_id"], unique=False)

    op.create_table(
        "reference_range",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("laboratory", sa.Text(), nullable=False),
        sa.Column("test_code", sa.String(length=32), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("age_min_years", sa.Integer(), nullable=True),
        sa.Column("age_max_years", sa.Integer(), nullable=True),
        sa.Column("lower", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("upper", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_reference_range_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_reference_range_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_range")),
    )
    op.create_index(op.f("ix_reference_range_site_id"), "reference_range", ["site_id"], unique=False)

    op.create_table(
        "role_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role_code", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_user_id", sa.Integer(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["granted_by_user_id"], ["app_user.id"], name=op.f("fk_role_grant_granted_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_user_id"], ["app_user.id"], name=op.f("fk_role_grant_revoked_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["role_code"], ["role.code"], name=op.f("fk_role_grant_role_code_role")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_role_grant_site_id_site")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_role_grant_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grant")),
    )
    op.create_index(op.f("ix_role_grant_user_id"), "role_grant", ["user_id"], unique=False)

    op.create_table(
        "subject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("screening_number", sa.String(length=32), nullable=False),
        sa.Column("subject_number", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("arm_code", sa.String(length=32), nullable=True),
        sa.Column("enrolled_on", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_subject_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_subject_site_id_site")),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_subject_study_id_study")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject")),
        sa.UniqueConstraint("study_id", "screening_number", name=op.f("uq_subject_study_id_screening_number")),
        sa.UniqueConstraint("study_id", "subject_number", name=op.f("uq_subject_study_id_subject_number")),
    )
    op.create_index(op.f("ix_subject_site_id"), "subject", ["site_id"], unique=False)
    op.create_index(op.f("ix_subject_study_id"), "subject", ["study_id"], unique=False)

    op.create_table(
        "adverse_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("coded_term", sa.Text(), nullable=True),
        sa.Column("onset_local", sa.String(length=32), nullable=False),
        sa.Column("resolved_local", sa.String(length=32), nullable=True),
        sa.Column("local_tz", sa.String(length=64), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("seriousness", sa.JSON(), nullable=True),
        sa.Column("relatedness", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("action_taken", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_adverse_event_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_adverse_event_subject_id_subject")),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"], ["app_user.id"], name=op.f("fk_adverse_event_updated_by_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event")),
    )
    op.create_index(op.f("ix_adverse_event_subject_id"), "adverse_event", ["subject_id"], unique=False)

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("document_version", sa.String(length=32), nullable=False),
        sa.Column("signed_local", sa.String(length=32), nullable=False),
        sa.Column("signed_tz", sa.String(length=64), nullable=False),
        sa.Column("obtained_by_user_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_local", sa.String(length=32), nullable=True),
        sa.Column("withdrawn_tz", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_consent_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["obtained_by_user_id"], ["app_user.id"], name=op.f("fk_consent_obtained_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_consent_subject_id_subject")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    op.create_index(op.f("ix_consent_subject_id"), "consent", ["subject_id"], unique=False)

    op.create_table(
        "data_query",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("edit_check_id", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_data_query_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_data_query_subject_id_subject")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_query")),
    )
    op.create_index(op.f("ix_data_query_subject_id"), "data_query", ["subject_id"], unique=False)

    op.create_table(
        "deviation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("major", sa.Boolean(), nullable=False),
        sa.Column("occurred_local", sa.String(length=32), nullable=True),
        sa.Column("occurred_tz", sa.String(length=64), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_deviation_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_deviation_site_id_site")),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_deviation_subject_id_subject")),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"], ["app_user.id"], name=op.f("fk_deviation_updated_by_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deviation")),
    )
    op.create_index(op.f("ix_deviation_site_id"), "deviation", ["site_id"], unique=False)
    op.create_index(op.f("ix_deviation_subject_id"), "deviation", ["subject_id"], unique=False)

    op.create_table(
        "eligibility_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("protocol_version", sa.String(length=32), nullable=False),
        sa.Column("protocol_content_hash", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("evaluated_local", sa.String(length=32), nullable=False),
        sa.Column("evaluated_tz", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_eligibility_evaluation_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_eligibility_evaluation_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_evaluation")),
    )
    op.create_index(
        op.f("ix_eligibility_evaluation_subject_id"), "eligibility_evaluation", ["subject_id"], unique=False
    )

    op.create_table(
        "subject_identity",
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=True),
        sa.Column("given_name", sa.Text(), nullable=True),
        sa.Column("birth_date", sa.String(length=32), nullable=True),
        sa.Column("medical_record_number", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_subject_identity_subject_id_subject")),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_identity")),
    )
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("visit_code", sa.String(length=32), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("visit_local", sa.String(length=32), nullable=True),
        sa.Column("visit_tz", sa.String(length=64), nullable=True),
        sa.Column("not_done_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_visit_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_visit_subject_id_subject")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
        sa.UniqueConstraint("subject_id", "visit_code", "repeat", name=op.f("uq_visit_subject_id_visit_code_repeat")),
    )
    op.create_index(op.f("ix_visit_subject_id"), "visit", ["subject_id"], unique=False)

    op.create_table(
        "exposure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("intervention_code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("product_unit", sa.String(length=64), nullable=True),
        sa.Column("lot_number", sa.String(length=64), nullable=True),
        sa.Column("dose_amount", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("dose_unit", sa.String(length=32), nullable=True),
        sa.Column("started_local", sa.String(length=32), nullable=True),
        sa.Column("ended_local", sa.String(length=32), nullable=True),
        sa.Column("local_tz", sa.String(length=64), nullable=True),
        sa.Column("custody", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_exposure_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_exposure_subject_id_subject")),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"], ["app_user.id"], name=op.f("fk_exposure_updated_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_exposure_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure")),
    )
    op.create_index(op.f("ix_exposure_subject_id"), "exposure", ["subject_id"], unique=False)

    op.create_table(
        "form_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("form_code", sa.String(length=32), nullable=False),
        sa.Column("form_version", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("not_done_reason", sa.Text(), nullable=True),
        sa.Column("item_values", sa.JSON(), nullable=False),
        sa.Column("derived", sa.JSON(), nullable=True),
        sa.Column("instrument_code", sa.String(length=32), nullable=True),
        sa.Column("instrument_version", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_form_instance_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_form_instance_subject_id_subject")),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"], ["app_user.id"], name=op.f("fk_form_instance_updated_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_form_instance_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_instance")),
    )
    op.create_index(op.f("ix_form_instance_subject_id"), "form_instance", ["subject_id"], unique=False)
    op.create_index(op.f("ix_form_instance_visit_id"), "form_instance", ["visit_id"], unique=False)

    op.create_table(
        "lab_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("test_code", sa.String(length=32), nullable=False),
        sa.Column("value_text", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("si_value", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("si_unit", sa.String(length=32), nullable=True),
        sa.Column("reference_range_id", sa.Integer(), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("grading_version", sa.String(length=32), nullable=True),
        sa.Column("collected_local", sa.String(length=32), nullable=True),
        sa.Column("collected_tz", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_lab_result_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["reference_range_id"],
            ["reference_range.id"],
            name=op.f("fk_lab_result_reference_range_id_reference_range"),
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_lab_result_subject_id_subject")),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"], ["app_user.id"], name=op.f("fk_lab_result_updated_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_lab_result_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_result")),
    )
    op.create_index(op.f("ix_lab_result_subject_id"), "lab_result", ["subject_id"], unique=False)

    op.create_table(
        "query_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_query_message_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["query_id"], ["data_query.id"], name=op.f("fk_query_message_query_id_data_query")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query_message")),
    )
    op.create_index(op.f("ix_query_message_query_id"), "query_message", ["query_id"], unique=False)

    op.create_table(
        "sdv_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_instance_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_sdv_status_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["form_instance_id"], ["form_instance.id"], name=op.f("fk_sdv_status_form_instance_id_form_instance")
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_user_id"], ["app_user.id"], name=op.f("fk_sdv_status_verified_by_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sdv_status")),
    )
    op.create_index(op.f("ix_sdv_status_form_instance_id"), "sdv_status", ["form_instance_id"], unique=False)
    _audit_triggers()
    _chain_head()


APPEND_ONLY = "audit events are append-only: UPDATE and DELETE are refused"


def _audit_triggers() -> None:
    """Refuse UPDATE and DELETE on audit_event in the database itself, whoever connects."""
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{action.lower()} BEFORE {action} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
    )


def _chain_head() -> None:
    head = sa.table("audit_chain_head", sa.column("id"), sa.column("last_seq"), sa.column("last_hash"))
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": "0" * 64}])


#: Tables in creation order (dropped in reverse).
TABLES = [
    "app_user",
    "audit_chain_head",
    "permission",
    "role",
    "api_token",
    "role_permission",
    "signature",
    "study",
    "user_session",
    "audit_event",
    "data_cut",
    "record_lock",
    "site",
    "study_key",
    "delegation",
    "reference_range",
    "role_grant",
    "subject",
    "adverse_event",
    "consent",
    "data_query",
    "deviation",
    "eligibility_evaluation",
    "subject_identity",
    "visit",
    "exposure",
    "form_instance",
    "lab_result",
    "query_message",
    "sdv_status",
]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    for table in reversed(TABLES):
        op.drop_table(table)
