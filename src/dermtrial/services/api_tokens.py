"""API bearer tokens: made by a signed-in user for themself, shown once, stored as a SHA-256 hash, revocable.

A token acts as its user with that user's grants, so a token is only ever made by the user it acts as (an
administrator cannot mint a token for somebody else); its owner or a holder of ``user.manage`` may revoke it.
Making, revoking and refusing a token are audited. The token is ``dt_`` followed by 43 URL-safe characters
(256 random bits).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from dermtrial.services.access import Actor
from dermtrial.services.errors import AuthenticationFailed, NotFound, PermissionDenied, invalid
from dermtrial.services.records import check_text
from dermtrial.services.uow import reading, unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import ApiToken, User

PREFIX = "dt_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A token just made: its id and the secret, which is never shown again."""

    token_id: int
    token: str
    name: str
    expires_at: dt.datetime | None


@dataclass(frozen=True)
class TokenInfo:
    """A stored token as listed (never the secret)."""

    token_id: int
    username: str
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


def create_api_token(
    db: Database, actor: Actor, *, name: str, now: dt.datetime, expires_at: dt.datetime | None = None
) -> NewToken:
    """Make a token acting as ``actor`` (audited ``api-token-create``)."""
    name = check_text("name", name, what="what the token is for", limit=200)
    if expires_at is not None and expires_at <= now:
        raise invalid("expires_at", expires_at.isoformat(), f"an expiry after now ({now.isoformat()})")
    token = PREFIX + secrets.token_urlsafe(32)
    with unit_of_work(db, actor=actor, now=now) as work:
        row = ApiToken(user_id=actor.user_id, name=name, token_sha256=_hash(token), expires_at=expires_at)
        work.add(row)
        return NewToken(row.id, token, name, expires_at)


def revoke_api_token(db: Database, actor: Actor, *, token_id: int, now: dt.datetime) -> None:
    """Revoke a token (its owner, or a holder of ``user.manage``); revoking a revoked token changes nothing."""
    with unit_of_work(db, actor=actor, now=now, reason="token revoked") as work:
        row = work.session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"no API token {token_id}", path=("token_id",), value=token_id)
        if row.user_id != actor.user_id:
            try:
                work.require("user.manage")
            except PermissionDenied:
                raise NotFound(
                    f"no API token {token_id} of user {actor.username}", path=("token_id",), value=token_id
                ) from None
        if row.revoked_at is not None:
            return
        row.revoked_at = now
        work.record("api-token-revoke", entity_type="api_token", entity_id=str(row.id), new={"name": row.name})


def list_api_tokens(db: Database, actor: Actor) -> list[TokenInfo]:
    """The actor's own tokens, newest first."""
    with reading(db, actor=actor) as ctx:
        rows = ctx.session.scalars(
            select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id.desc())
        )
        return [TokenInfo(r.id, actor.username, r.name, r.created_at, r.expires_at, r.revoked_at) for r in rows]


def authenticate_api_token(db: Database, *, token: str, now: dt.datetime) -> Actor:
    """The user a bearer token acts as; :class:`AuthenticationFailed` for an unknown, revoked or expired token."""
    with db.reading() as session:
        row = session.execute(
            select(
                ApiToken.id,
                ApiToken.revoked_at,
                ApiToken.expires_at,
                User.id,
                User.username,
                User.full_name,
                User.active,
            )
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_sha256 == _hash(token))
        ).one_or_none()
    if row is None:
        raise AuthenticationFailed("unknown API token", path=("authorization",))
    token_id, revoked_at, expires_at, user_id, username, full_name, active = row
    if revoked_at is not None or (expires_at is not None and expires_at <= now):
        raise AuthenticationFailed(f"the API token {token_id} is revoked or expired", path=("authorization",))
    if not active:
        raise AuthenticationFailed(f'the account "{username}" is deactivated', path=("authorization",))
    return Actor(user_id, username, full_name)


__all__ = [
    "NewToken",
    "TokenInfo",
    "authenticate_api_token",
    "create_api_token",
    "list_api_tokens",
    "revoke_api_token",
]
