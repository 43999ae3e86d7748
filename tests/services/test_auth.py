"""Signing in and out: every attempt audited, lockout after five failures, sessions that end."""

from __future__ import annotations

import datetime as dt

import pytest

from dermtrial.services import AccountLocked, AuthenticationFailed
from dermtrial.services.auth import LOCKOUT, MAX_FAILURES, authenticate, login, logout
from tests.conftest import NOW, PASSWORD, StudySetup
from tests.services.helpers import events


@pytest.mark.requirement("REG-ACCESS-02")
def test_login_and_logout_are_audited_and_the_token_works_until_logout(study: StudySetup) -> None:
    study.user("li", "coordinator", "GZ01")
    signed = login(study.db, username="li", password=PASSWORD, now=NOW)
    assert authenticate(study.db, token=signed.token, now=NOW).username == "li"
    logout(study.db, token=signed.token, now=NOW)
    with pytest.raises(AuthenticationFailed, match="session has ended"):
        authenticate(study.db, token=signed.token, now=NOW)
    kinds = [(e["event_type"], e["actor_username"]) for e in events(study.db)][-2:]
    assert kinds == [("login", "li"), ("logout", "li")]


@pytest.mark.requirement("REG-ACCESS-03")
def test_a_session_expires(study: StudySetup) -> None:
    signed = login(study.db, username="admin", password="root-pass-2026", now=NOW)
    with pytest.raises(AuthenticationFailed):
        authenticate(study.db, token=signed.token, now=NOW + dt.timedelta(hours=8))


@pytest.mark.requirement("REG-ACCESS-02")
def test_an_unknown_user_name_fails_like_a_wrong_password_and_is_audited(study: StudySetup) -> None:
    with pytest.raises(AuthenticationFailed) as unknown:
        login(study.db, username="nobody", password="whatever-123", now=NOW)
    with pytest.raises(AuthenticationFailed) as wrong:
        login(study.db, username="admin", password="whatever-123", now=NOW)
    assert str(unknown.value).split(":", 1)[1] == str(wrong.value).split(":", 1)[1]
    failed = [e for e in events(study.db) if e["event_type"] == "login-failed"]
    assert [(e["actor_username"], e["actor_user_id"]) for e in failed] == [("nobody", None), ("admin", 1)]


@pytest.mark.requirement("REG-ACCESS-02")
def test_five_failures_lock_the_account_for_fifteen_minutes_even_with_the_right_password(study: StudySetup) -> None:
    study.user("li", "coordinator", "GZ01")
    for attempt in range(MAX_FAILURES):
        with pytest.raises(AuthenticationFailed) as caught:
            login(study.db, username="li", password="not-the-password-1", now=NOW + dt.timedelta(seconds=attempt))
        assert not isinstance(caught.value, AccountLocked)
    with pytest.raises(
        AccountLocked, match='the account "li" is locked after 5 failed sign-ins until 2026-03-04T01:45'
    ):
        login(study.db, username="li", password=PASSWORD, now=NOW + dt.timedelta(minutes=5))
    later = NOW + dt.timedelta(seconds=MAX_FAILURES - 1) + LOCKOUT + dt.timedelta(seconds=1)
    assert login(study.db, username="li", password=PASSWORD, now=later).actor.username == "li"
    kinds = [e["event_type"] for e in events(study.db) if e["actor_username"] == "li"]
    assert kinds[-8:] == ["login-failed"] * 5 + ["account-locked", "login-failed", "login"]


def test_a_success_resets_the_failure_count(study: StudySetup) -> None:
    study.user("li", "coordinator", "GZ01")
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AuthenticationFailed):
            login(study.db, username="li", password="not-the-password-1", now=NOW)
    login(study.db, username="li", password=PASSWORD, now=NOW)
    with pytest.raises(AuthenticationFailed) as caught:
        login(study.db, username="li", password="not-the-password-1", now=NOW)
    assert not isinstance(caught.value, AccountLocked)
