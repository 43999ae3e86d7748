"""Web sessions after sign-in (:mod:`dermtrial.services.auth`): the idle timeout, changing one's own password and
choosing the interface language.

A session ends at the first of: logout, its absolute expiry (``auth.SESSION_LENGTH``) or ``idle`` without a
request. Each request moves ``last_seen_at`` forward, at most once per :data:`ACTIVITY_STEP` so that a page and its
assets do not each write; an idle session is ended and audited (``logout`` with cause ``idle timeout``) when it is
next presented. Times are passed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select, update

from dermtrial.services.access import Actor
from dermtrial.services.errors import AuthenticationFailed, invalid
from dermtrial.services.passwords import check_password_rule, hash_password, verify_password
from dermtrial.services.uow import unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import User, UserSession
from dermtrial.store.uow import Who

#: Interface languages, as BCP 47 tags; the first is the default.
LANGUAGES = ("en", "zh-Hans")
#: ``last_seen_at`` is moved at most this often.
ACTIVITY_STEP = dt.timedelta(minutes=1)


def _hash(token: str) -> str:
    """SHA-256 of a session token, as :mod:`dermtrial.services.auth` stores it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class OpenSession:
    """A session that is still open: who, which session row, and the interface language."""

    actor: Actor
    session_id: int
    language: str


def check_session(db: Database, *, token: str, now: dt.datetime, idle: dt.timedelta) -> OpenSession:
    """The open session of ``token``; :class:`AuthenticationFailed` when it has ended, expired or been idle too long."""
    with db.reading() as session:
        row = session.execute(
            select(
                UserSession.id.label("session_id"),
                UserSession.created_at,
                UserSession.expires_at,
                UserSession.ended_at,
                UserSession.last_seen_at,
                User.id.label("user_id"),
                User.username,
                User.full_name,
                User.active,
                User.language,
            )
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_sha256 == _hash(token))
        ).one_or_none()
    if row is None or row.ended_at is not None or row.expires_at <= now or not row.active:
        raise AuthenticationFailed("the session has ended or does not exist; sign in again", path=("session",))
    seen = row.last_seen_at or row.created_at
    if now - seen >= idle:
        minutes = int(idle.total_seconds() // 60)
        with unit_of_work(db, actor=None, now=now) as work:
            ended = work.session.execute(
                update(UserSession)
                .where(UserSession.id == row.session_id, UserSession.ended_at.is_(None))
                .values(ended_at=now)
            )
            if getattr(ended, "rowcount", 0):
                work.record(
                    "logout",
                    entity_type="user_session",
                    entity_id=str(row.session_id),
                    who=Who(row.user_id, row.username),
                    new={"cause": "idle timeout", "idle_minutes": minutes},
                )
        raise AuthenticationFailed(
            f"the session ended after {minutes} minutes without activity; sign in again",
            path=("session",),
            value=minutes,
        )
    if now - seen >= ACTIVITY_STEP:
        with unit_of_work(db, actor=None, now=now) as work:
            work.session.execute(update(UserSession).where(UserSession.id == row.session_id).values(last_seen_at=now))
    language = row.language if row.language in LANGUAGES else LANGUAGES[0]
    return OpenSession(Actor(row.user_id, row.username, row.full_name), row.session_id, language)


def change_password(
    db: Database,
    actor: Actor,
    *,
    current_password: str,
    new_password: str,
    now: dt.datetime,
    keep_session_id: int | None = None,
) -> int:
    """Change the actor's own password after checking the current one; ends their other open sessions.

    A wrong current password is audited (``password-change-failed``), counts towards the sign-in lockout and raises
    :class:`AuthenticationFailed`. Returns how many other sessions were ended.
    """
    check_password_rule(new_password, actor.username)
    failure: AuthenticationFailed | None = None
    ended = 0
    with unit_of_work(db, actor=actor, now=now) as work:
        user = work.session.get_one(User, actor.user_id)
        who = Who(user.id, user.username)
        if not verify_password(user.password_hash, current_password):
            user.failed_logins += 1
            work.record(
                "password-change-failed",
                entity_type="app_user",
                entity_id=str(user.id),
                who=who,
                new={"cause": "wrong current password", "failed_logins": user.failed_logins},
            )
            failure = AuthenticationFailed(
                "the current password is wrong; the password was not changed", path=("current_password",)
            )
        elif verify_password(user.password_hash, new_password):
            raise invalid("new_password", "(hidden)", "the new password must differ from the current one")
        else:
            user.password_hash, user.password_changed_at = hash_password(new_password), now
            work.record("password-change", entity_type="app_user", entity_id=str(user.id), who=who)
            others = update(UserSession).where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.id != (keep_session_id if keep_session_id is not None else -1),
            )
            ended = getattr(work.session.execute(others.values(ended_at=now)), "rowcount", 0) or 0
    if failure is not None:
        raise failure
    return ended


def set_language(db: Database, actor: Actor, *, language: str, now: dt.datetime) -> None:
    """Choose the actor's interface language (one of :data:`LANGUAGES`); audited."""
    if language not in LANGUAGES:
        raise invalid("language", language, f"one of {', '.join(LANGUAGES)}")
    with unit_of_work(db, actor=actor, now=now) as work:
        user = work.session.get_one(User, actor.user_id)
        if user.language == language:
            return
        old, user.language = user.language, language
        work.record(
            "user-language",
            entity_type="app_user",
            entity_id=str(user.id),
            field="language",
            old=old,
            new=language,
            who=Who(user.id, user.username),
        )
