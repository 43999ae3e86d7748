"""Web sessions with the clock passed in: the idle timeout on both sides of its edge, activity moving it, the audit."""

from __future__ import annotations

import datetime as dt

import pytest

from dermtrial.services import AuthenticationFailed
from dermtrial.services.auth import login
from dermtrial.services.sessions import ACTIVITY_STEP, check_session
from tests.conftest import NOW, PASSWORD
from tests.services.helpers import events
from tests.web.conftest import Web

IDLE = dt.timedelta(minutes=15)


def _signed_in(web: Web, username: str) -> str:
    web.study.user(username, "coordinator", "GZ01")
    return login(web.study.db, username=username, password=PASSWORD, now=NOW).token


def test_a_session_is_open_one_second_before_the_idle_timeout_and_ended_at_it(web: Web) -> None:
    token = _signed_in(web, "idle.edge")
    assert check_session(web.study.db, token=token, now=NOW + IDLE - dt.timedelta(seconds=1), idle=IDLE)
    # that request moved last_seen_at to NOW + 14:59, so the timeout now counts from there
    later = NOW + 2 * IDLE - dt.timedelta(seconds=1)
    with pytest.raises(AuthenticationFailed, match="ended after 15 minutes without activity"):
        check_session(web.study.db, token=token, now=later, idle=IDLE)
    with pytest.raises(AuthenticationFailed, match="has ended"):
        check_session(web.study.db, token=token, now=later, idle=IDLE)  # ended stays ended
    ended = [e for e in events(web.study.db) if e["event_type"] == "logout" and e["actor_username"] == "idle.edge"]
    assert len(ended) == 1
    assert '"cause": "idle timeout"' in ended[0]["new_value"] or '"cause":"idle timeout"' in ended[0]["new_value"]


def test_requests_closer_than_the_activity_step_do_not_move_last_seen(web: Web) -> None:
    token = _signed_in(web, "idle.step")
    check_session(web.study.db, token=token, now=NOW + ACTIVITY_STEP - dt.timedelta(seconds=1), idle=IDLE)
    # last_seen_at was not moved (under a minute), so the timeout still counts from sign-in
    with pytest.raises(AuthenticationFailed, match="without activity"):
        check_session(web.study.db, token=token, now=NOW + IDLE, idle=IDLE)


def test_the_session_language_defaults_to_english(web: Web) -> None:
    token = _signed_in(web, "idle.lang")
    assert check_session(web.study.db, token=token, now=NOW, idle=IDLE).language == "en"
