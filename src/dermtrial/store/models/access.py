"""Users, roles and permissions as data, role grants per site, the delegation log, sessions and API tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dermtrial.store.base import Base, Created, Versioned


class User(Created, Versioned, Base):
    """A person who signs in. Never deleted: a leaving user is deactivated so their audit events stay attributable."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    """Sign-in name, unique; lower-case letters, digits, ``.``, ``_`` and ``-``."""
    full_name: Mapped[str] = mapped_column(Text, nullable=False)
    """The person's name as shown beside their electronic signatures."""
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    """argon2id hash of the password (PHC string); the password itself is never stored."""
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    """False once the account is deactivated; a deactivated user cannot sign in."""
    failed_logins: Mapped[int] = mapped_column(nullable=False, default=0)
    """Consecutive failed sign-ins since the last successful one."""
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    """Sign-in refused until this time (UTC) after repeated failures; null when not locked."""
    last_login_at: Mapped[dt.datetime | None] = mapped_column()
    """Time of the last successful sign-in (UTC)."""
    password_changed_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """When the password was last set (UTC)."""
    language: Mapped[str | None] = mapped_column(String(16))
    """Interface language the user chose (``en`` or ``zh-Hans``); null for the default, English."""


class Permission(Base):
    """One action a role may allow (``form.write``, ``sdv.set`` …); loaded from ``services/roles.yaml``."""

    __tablename__ = "permission"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The permission's code."""
    description: Mapped[str] = mapped_column(Text, nullable=False)
    """What the permission allows."""


class Role(Base):
    """A role (investigator, monitor …): a named set of permissions; loaded from ``services/roles.yaml``."""

    __tablename__ = "role"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    """The role's code (``investigator``, ``data-manager`` …)."""
    name: Mapped[str] = mapped_column(Text, nullable=False)
    """The role's name as shown."""
    scope: Mapped[str] = mapped_column(String(8), nullable=False)
    """``site``: granted for one site at a time; ``study``: granted for every site (optionally one)."""
    description: Mapped[str] = mapped_column(Text, nullable=False)
    """What the role is for."""


class RolePermission(Base):
    """A permission held by a role."""

    __tablename__ = "role_permission"

    role_code: Mapped[str] = mapped_column(ForeignKey("role.code"), primary_key=True)
    """The role."""
    permission_code: Mapped[str] = mapped_column(ForeignKey("permission.code"), primary_key=True)
    """The permission it holds."""


class RoleGrant(Base):
    """A role given to a user, at one site or (site null) at every site. Revoked, never deleted."""

    __tablename__ = "role_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False, index=True)
    """The user holding the role."""
    role_code: Mapped[str] = mapped_column(ForeignKey("role.code"), nullable=False)
    """The role granted."""
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    """The site the grant is limited to; null for every site (study-scope roles and the administrator)."""
    granted_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """When the grant was made (UTC)."""
    granted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    """Who made the grant (null for the first administrator, made by ``dermtrial init``)."""
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    """When the grant was revoked (UTC); null while it holds."""
    revoked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    """Who revoked it."""
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    """Why it was revoked."""


class Delegation(Created, Base):
    """An entry of a site's delegation log: a task the principal investigator delegates to a person, with dates."""

    __tablename__ = "delegation"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), nullable=False, index=True)
    """The site whose log this is."""
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False)
    """The person the task is delegated to."""
    task: Mapped[str] = mapped_column(String(32), nullable=False)
    """``assess``, ``sign-eligibility``, ``assess-causality``, ``sign-forms`` …"""
    start_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    """First day (site local date) of the delegation."""
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    """Last day of the delegation; null while open."""
    delegated_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False)
    """The investigator who delegated the task."""
    ended_reason: Mapped[str | None] = mapped_column(Text)
    """Why the delegation was ended early."""


class UserSession(Base):
    """A signed-in session, from login to logout or expiry."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False, index=True)
    """Who signed in."""
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    """SHA-256 of the session token (the token itself is only given to the client)."""
    created_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """Sign-in time (UTC)."""
    expires_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    """When the session ends if not ended before (UTC)."""
    ended_at: Mapped[dt.datetime | None] = mapped_column()
    """Logout time (UTC); null while open."""
    last_seen_at: Mapped[dt.datetime | None] = mapped_column()
    """Last request made with the session (UTC, kept to the minute); the session ends after the idle timeout
    without one. Null until the first request after sign-in."""


class ApiToken(Created, Base):
    """A long-lived token for the JSON API, acting as its user."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Internal key."""
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False, index=True)
    """The user the token acts as."""
    name: Mapped[str] = mapped_column(Text, nullable=False)
    """What the token is for."""
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    """SHA-256 of the token."""
    expires_at: Mapped[dt.datetime | None] = mapped_column()
    """Expiry (UTC); null for none."""
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    """When revoked (UTC)."""
