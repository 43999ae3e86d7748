"""Who is asking: the session cookie (pages), the CSRF token on every form, and bearer tokens (API).

- Session: ``dermtrial_session`` holds the session token from :func:`dermtrial.services.auth.login` (stored only as
  a hash); HttpOnly, SameSite=Lax, Secure per ``DERMTRIAL_COOKIE_SECURE``. Each request checks it through
  :func:`dermtrial.services.sessions.check_session` (expiry, logout, idle timeout).
- CSRF: every browser gets a random ``dermtrial_csrf`` cookie (HttpOnly, SameSite=Strict). A form carries
  ``csrf_token`` = HMAC-SHA256(secret key, that cookie + the session token); a POST without the matching value is
  answered 403 before its handler runs. Binding to the session token means a token from before sign-in stops
  working after it.
- API: ``Authorization: Bearer <token>`` from ``dermtrial token create``; no cookies, so no CSRF.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from dermtrial.services.access import Actor
from dermtrial.services.api_tokens import authenticate_api_token
from dermtrial.services.errors import AuthenticationFailed
from dermtrial.services.sessions import OpenSession, check_session
from dermtrial.store import utc_now
from dermtrial.web.context import app_state
from dermtrial.web.errors import WebError

SESSION_COOKIE = "dermtrial_session"
CSRF_COOKIE = "dermtrial_csrf"
CSRF_FIELD = "csrf_token"


def csrf_seed(request: Request) -> str:
    """The browser's CSRF cookie value, or a new one (set on the response by the middleware)."""
    seed = request.cookies.get(CSRF_COOKIE)
    if not seed or len(seed) > 100:
        seed = getattr(request.state, "new_csrf_seed", None) or secrets.token_urlsafe(24)
        request.state.new_csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    """The token the page's forms carry."""
    key = app_state(request).settings.secret_key.encode("utf-8")
    message = f"{csrf_seed(request)}|{request.cookies.get(SESSION_COOKIE, '')}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def require_csrf(request: Request) -> None:
    """Refuse (403, code ``csrf``) a state-changing request whose form lacks the right ``csrf_token``."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not request.cookies.get(CSRF_COOKIE) or not isinstance(given, str):
        raise WebError(
            403, "the form has no valid CSRF token; reload the page and try again", code="csrf", field=CSRF_FIELD
        )
    if not hmac.compare_digest(given, csrf_token(request)):
        raise WebError(
            403, "the form's CSRF token does not match; reload the page and try again", code="csrf", field=CSRF_FIELD
        )


class LoginRequired(Exception):
    """A page needs a signed-in user; answered with a redirect to the sign-in page."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message
        super().__init__(message or "sign in")


def page_session(request: Request) -> OpenSession:
    """The open session of the request's cookie, or :class:`LoginRequired`."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired()
    state = app_state(request)
    try:
        opened = check_session(state.db, token=token, now=utc_now(), idle=state.idle)
    except AuthenticationFailed as exc:
        raise LoginRequired(str(exc)) from None
    request.state.language = opened.language
    return opened


def api_actor(request: Request) -> Actor:
    """The user of the request's bearer token; :class:`AuthenticationFailed` (401) without a valid one."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed(
            "this API needs an 'Authorization: Bearer <token>' header (dermtrial token create)",
            path=("authorization",),
        )
    return authenticate_api_token(app_state(request).db, token=token.strip(), now=utc_now())
