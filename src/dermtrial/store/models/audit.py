"""The audit trail: append-only, hash-chained events and the chain head that serialises appending."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dermtrial.store.base import Base


class AuditEvent(Base):
    """One audited fact: a change to stored data or a system event. Database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    """Position in the chain, 1, 2, 3 … without gaps (a gap means a deleted event)."""
    occurred_at: Mapped[dt.datetime] = mapped_column(nullable=False, index=True)
    """When the event was committed (UTC, microseconds)."""
    event_type: Mapped[str] = mapped_column(String(32), nullable=False)
    """``create``, ``update``, ``void``, ``login``, ``logout``, ``login-failed``, ``account-locked``, ``user-create``,
    ``role-grant``, ``role-revoke``, ``study-create``, ``site-add``, ``config-change`` …"""
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    """The user who acted; null for the system or an unknown user name at sign-in."""
    actor_username: Mapped[str | None] = mapped_column(String(64))
    """The user name as given (kept for failed sign-ins with an unknown name)."""
    actor_role: Mapped[str | None] = mapped_column(String(32))
    """The role under which the user acted (the grant that allowed the action)."""
    study_id: Mapped[int | None] = mapped_column(ForeignKey("study.id"))
    """The study concerned, if any."""
    site_code: Mapped[str | None] = mapped_column(String(32))
    """Code of the site concerned, if any."""
    subject_id: Mapped[int | None] = mapped_column(index=True)
    """Key of the subject concerned, if any (for exports by subject)."""
    entity_type: Mapped[str | None] = mapped_column(String(32))
    """Table of the changed record (``form_instance``, ``app_user`` …)."""
    entity_id: Mapped[str | None] = mapped_column(String(64))
    """Key of the changed record, as text."""
    field: Mapped[str | None] = mapped_column(String(64))
    """The changed column or item; null when the event concerns the whole record."""
    old_value: Mapped[str | None] = mapped_column(Text)
    """Value before, as canonical JSON; for identifying data an ``hmac-sha256:`` keyed hash instead."""
    new_value: Mapped[str | None] = mapped_column(Text)
    """Value after, as canonical JSON; for identifying data an ``hmac-sha256:`` keyed hash instead."""
    reason: Mapped[str | None] = mapped_column(Text)
    """The reason given (required for every change after first entry)."""
    request_id: Mapped[str | None] = mapped_column(String(64))
    """Identifier of the request or command run that made the change; events of one transaction share it."""
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    """``hash`` of the previous event (64 zeros for the first)."""
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    """SHA-256 (hex) of the canonical encoding of this event's other fields, ``prev_hash`` included."""


class AuditChainHead(Base):
    """The single row holding the chain's last position; locked (``SELECT … FOR UPDATE``) by every append."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    """Always 1."""
    last_seq: Mapped[int] = mapped_column(nullable=False)
    """``seq`` of the last event (0 when the trail is empty)."""
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    """``hash`` of the last event (64 zeros when empty)."""
