"""Pages on SQLite and PostgreSQL: sign-in and out, CSRF on every form, lockout, idle timeout, password, language."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import update

from dermtrial.services.auth import MAX_FAILURES
from dermtrial.store.models import UserSession
from tests.conftest import PASSWORD
from tests.web.conftest import Web, form_token, sign_in


def test_a_page_without_a_session_redirects_to_sign_in_and_back(browser: TestClient) -> None:
    answer = browser.get("/subjects?site=GZ01", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fsubjects%3Fsite%3DGZ01"


def test_sign_in_sets_a_httponly_lax_session_cookie_and_shows_the_dashboard(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    cookie = next(c for c in browser.cookies.jar if c.name == "dermtrial_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite", "").lower() == "lax"
    assert not cookie.secure  # DERMTRIAL_COOKIE_SECURE=false in the tests; true by default
    page = browser.get("/dashboard")
    assert page.status_code == 200
    assert "Study dashboard" in page.text
    assert "NCT03392311" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_form_post_without_or_with_a_wrong_csrf_token_is_403(web: Web, browser: TestClient) -> None:
    browser.get("/login")
    missing = browser.post("/login", data={"username": "nurse.li", "password": PASSWORD})
    assert missing.status_code == 403
    assert 'data-error-code="csrf"' in missing.text
    wrong = browser.post("/login", data={"username": "nurse.li", "password": PASSWORD, "csrf_token": "0" * 64})
    assert wrong.status_code == 403
    sign_in(browser, "nurse.li")
    refused = browser.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert browser.get("/dashboard", follow_redirects=False).status_code == 200  # still signed in


def test_the_csrf_token_from_before_sign_in_no_longer_works_after_it(web: Web, browser: TestClient) -> None:
    before = form_token(browser.get("/login").text)
    sign_in(browser, "nurse.li")
    assert browser.post("/logout", data={"csrf_token": before}, follow_redirects=False).status_code == 403


def test_sign_out_ends_the_session(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    token = form_token(browser.get("/dashboard").text)
    out = browser.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login?signed_out=1")
    assert browser.get("/dashboard", follow_redirects=False).status_code == 303


def test_a_wrong_password_is_shown_on_the_form_and_the_fifth_locks_the_account(web: Web, browser: TestClient) -> None:
    web.study.user("lock.me", "coordinator", "GZ01")
    statuses = []
    for _ in range(MAX_FAILURES + 1):
        token = form_token(browser.get("/login").text)
        answer = browser.post(
            "/login", data={"username": "lock.me", "password": "wrong-password-1", "csrf_token": token}
        )
        statuses.append(answer.status_code)
    assert statuses == [401] * MAX_FAILURES + [423]
    assert "is locked after 5 failed sign-ins" in answer.text
    assert 'aria-invalid="true"' in answer.text


def test_an_idle_session_ends_and_the_next_page_asks_to_sign_in_again(web: Web, browser: TestClient) -> None:
    sign_in(browser, "dr.wang")
    token = browser.cookies.get("dermtrial_session")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)  # the default idle timeout is 15 minutes
    with web.study.db.writing() as session:
        session.execute(update(UserSession).values(created_at=long_ago, last_seen_at=long_ago).where(
            UserSession.token_sha256 == __import__("hashlib").sha256(token.encode()).hexdigest()))  # fmt: skip
        session.commit()
    answer = browser.get("/dashboard", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("&ended=1")
    assert "Your session has ended" in browser.get(answer.headers["location"]).text


def test_password_change_checks_the_current_password_and_the_rule(web: Web, browser: TestClient) -> None:
    web.study.user("pw.user", "coordinator", "SH02")
    sign_in(browser, "pw.user")
    page = browser.get("/account/password")
    form = {"csrf_token": form_token(page.text), "current_password": "not-it-123456", "new_password": "N3w-pass-phrase",
            "repeat_password": "N3w-pass-phrase"}  # fmt: skip
    assert browser.post("/account/password", data=form).status_code == 401
    weak = browser.post("/account/password", data=form | {"current_password": PASSWORD, "new_password": "short",
                                                          "repeat_password": "short"})  # fmt: skip
    assert weak.status_code == 422
    assert "12 to 128 characters" in weak.text
    done = browser.post("/account/password", data=form | {"current_password": PASSWORD})
    assert done.status_code == 200
    assert "Your password was changed" in done.text
    fresh = TestClient(browser.app, base_url="http://testserver")
    sign_in(fresh, "pw.user", "N3w-pass-phrase")


def test_the_language_is_chosen_per_user_and_kept(web: Web, browser: TestClient) -> None:
    web.study.user("zh.user", "monitor", "GZ01")
    sign_in(browser, "zh.user")
    token = form_token(browser.get("/dashboard").text)
    answer = browser.post("/account/language", data={"csrf_token": token, "language": "zh-Hans", "next": "/subjects"})
    assert answer.status_code == 200  # redirected to the matrix
    assert '<html lang="zh-Hans">' in answer.text
    assert "受试者矩阵" in answer.text
    bad = browser.post("/account/language", data={"csrf_token": token, "language": "fr"})
    assert bad.status_code == 422
    assert "one of en, zh-Hans" in bad.text


def test_the_subject_matrix_shows_the_readable_subjects_with_a_state_per_visit(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.wu")  # SH02 only
    page = browser.get("/subjects")
    assert page.status_code == 200
    assert "SH02-" in page.text
    assert "GZ01-" not in page.text
    sign_in(browser, "mon")
    gz = browser.get("/subjects?site=GZ01").text
    assert 'class="cell state-' in gz
    assert "GZ01-" in gz


def test_unknown_hosts_are_refused_in_the_one_error_shape(web: Web) -> None:
    answer = web.client.get("/api/v1/me", headers={"host": "evil.example"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad-request"
    assert "DERMTRIAL_ALLOWED_HOSTS" in answer.json()["error"]["message"]
