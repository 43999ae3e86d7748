"""Signing in and out: password check, lockout after repeated failures, sessions; every attempt audited.

After :data:`MAX_FAILURES` consecutive failures an account is locked for :data:`LOCKOUT`; a sign-in while locked is
refused (and audited) without checking the password. Times are passed in, never read from the clock here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from dermtrial.services.access import Actor
from dermtrial.services.errors import AccountLocked, AuthenticationFailed
from dermtrial.services.passwords import dummy_verify, verify_password
from dermtrial.services.uow import unit_of_work
from dermtrial.store.audit import format_utc
from dermtrial.store.engine import Database
from dermtrial.store.models import User, UserSession
from dermtrial.store.uow import Who

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
SESSION_LENGTH = dt.timedelta(hours=8)


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the actor and the session token (given to the client once, stored only as a hash)."""

    actor: Actor
    token: str
    expires_at: dt.datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login(db: Database, *, username: str, password: str, now: dt.datetime, request_id: str | None = None) -> SignedIn:
    """Check the password and open a session, or record the failure (and lock the account at the fifth) and raise."""
    failure: AuthenticationFailed | None = None
    signed_in: SignedIn | None = None
    with unit_of_work(db, actor=None, now=now, request_id=request_id) as work:
        user = work.session.scalars(select(User).where(User.username == username)).one_or_none()
        who = Who(user.id if user else None, username)
        if user is None:
            dummy_verify(password)
            failure = AuthenticationFailed("unknown user name or wrong password", path=("username",), value=username)
            work.record("login-failed", entity_type="app_user", who=who, new={"cause": "unknown user name"})
        elif user.locked_until is not None and user.locked_until > now:
            failure = AccountLocked(
                f'the account "{username}" is locked after {MAX_FAILURES} failed sign-ins until '
                f"{format_utc(user.locked_until)}",
                path=("username",),
                value=username,
            )
            work.record(
                "login-failed", entity_type="app_user", entity_id=str(user.id), who=who, new={"cause": "account locked"}
            )
        elif not user.active or not verify_password(user.password_hash, password):
            cause = "account deactivated" if not user.active else "wrong password"
            user.failed_logins += 1
            work.record(
                "login-failed",
                entity_type="app_user",
                entity_id=str(user.id),
                who=who,
                new={"cause": cause, "failed_logins": user.failed_logins},
            )
            failure = AuthenticationFailed("unknown user name or wrong password", path=("username",), value=username)
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until = now + LOCKOUT
                work.record(
                    "account-locked",
                    entity_type="app_user",
                    entity_id=str(user.id),
                    who=who,
                    field="locked_until",
                    new=format_utc(user.locked_until),
                )
        else:
            user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
            token = secrets.token_urlsafe(32)
            session = UserSession(
                user_id=user.id, token_sha256=_token_hash(token), created_at=now, expires_at=now + SESSION_LENGTH
            )
            work.session.add(session)
            work.session.flush()
            work.record("login", entity_type="user_session", entity_id=str(session.id), who=who)
            signed_in = SignedIn(Actor(user.id, user.username, user.full_name), token, session.expires_at)
    if failure is not None:
        raise failure
    assert signed_in is not None
    return signed_in


def authenticate(db: Database, *, token: str, now: dt.datetime) -> Actor:
    """The actor of an open session token, or :class:`AuthenticationFailed`."""
    with db.reading() as session:
        row = session.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_sha256 == _token_hash(token))
        ).one_or_none()
        if row is None or row[0].ended_at is not None or row[0].expires_at <= now or not row[1].active:
            raise AuthenticationFailed("the session has ended or does not exist; sign in again", path=("token",))
        return Actor(row[1].id, row[1].username, row[1].full_name)


def logout(db: Database, *, token: str, now: dt.datetime, request_id: str | None = None) -> None:
    """End a session (audited). Ending an already ended session changes nothing."""
    with unit_of_work(db, actor=None, now=now, request_id=request_id) as work:
        session = work.session.scalars(
            select(UserSession).where(UserSession.token_sha256 == _token_hash(token))
        ).one_or_none()
        if session is None or session.ended_at is not None:
            return
        user = work.session.get_one(User, session.user_id)
        session.ended_at = now
        work.record("logout", entity_type="user_session", entity_id=str(session.id), who=Who(user.id, user.username))
