"""Server-rendered pages: sign-in and out, password, language, the study dashboard and the subject matrix.

Each handler parses the request, checks the session (:func:`~dermtrial.web.security.page_session`) and, for a
POST, the CSRF token (:func:`~dermtrial.web.security.require_csrf`), calls one service and renders a template.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dermtrial.services import Actor, review_reads
from dermtrial.services.auth import login, logout
from dermtrial.services.errors import AuthenticationFailed, InvalidInput, PermissionDenied
from dermtrial.services.matrix import CELL_STATES, dashboard, subject_matrix
from dermtrial.services.sessions import LANGUAGES, OpenSession, change_password, set_language
from dermtrial.store import utc_now
from dermtrial.store.engine import Database
from dermtrial.web.context import app_state
from dermtrial.web.i18n import from_accept_language, translator
from dermtrial.web.security import SESSION_COOKIE, csrf_token, page_session, require_csrf

router = APIRouter()
STATE_ORDER = CELL_STATES
PageSession = Annotated[OpenSession, Depends(page_session)]
CSRF = [Depends(require_csrf)]


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    session: OpenSession | None,
    status: int = 200,
    language: str | None = None,
) -> HTMLResponse:
    """Render ``template`` with the translator, the CSRF token, the user and the idle timeout."""
    state = app_state(request)
    language = language or (
        session.language if session else from_accept_language(request.headers.get("accept-language"))
    )
    base = {
        "t": translator(language),
        "language": language,
        "languages": LANGUAGES,
        "csrf_token": csrf_token(request),
        "user": session.actor if session else None,
        "idle_minutes": state.settings.idle_minutes,
        "path": request.url.path,
        "may_report": session is not None and _may_report(state.db, session.actor),
    }
    response: HTMLResponse = state.templates.TemplateResponse(request, template, base | context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _may_report(db: Database, actor: Actor) -> bool:
    """Whether the menu shows Report: the report page's own check (who may read subjects at every site)."""
    try:
        review_reads.require_study_wide_read(db, actor)
    except PermissionDenied:
        return False
    return True


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never another host) is followed after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"
    parts = urlsplit(target)
    return "/dashboard" if parts.scheme or parts.netloc else target


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    """The dashboard is the start page."""
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None, ended: int = 0) -> HTMLResponse:
    """The sign-in form."""
    notice = "login.ended" if ended else None
    return render(request, "login.html", {"next": _safe_next(next), "notice": notice, "error": None}, session=None)


@router.post("/login", include_in_schema=False, dependencies=CSRF)
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """Check the password (lockout after repeated failures is the service's), open a session, set the cookie."""
    state = app_state(request)
    try:
        signed = login(state.db, username=username.strip(), password=password, now=utc_now())
    except AuthenticationFailed as exc:
        context = {"next": _safe_next(next), "notice": None, "error": str(exc).split(": ", 1)[-1], "username": username}
        return render(request, "login.html", context, session=None, status=exc.status)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        secure=state.settings.cookie_secure,
        path="/",
        expires=signed.expires_at,
    )
    return response


@router.post("/logout", include_in_schema=False, dependencies=CSRF)
def logout_submit(request: Request) -> RedirectResponse:
    """End the session (audited) and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        logout(app_state(request).db, token=token, now=utc_now())
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/password", include_in_schema=False)
def password_page(request: Request, session: PageSession) -> HTMLResponse:
    """The password change form."""
    return render(request, "password.html", {"error": None, "done": False}, session=session)


@router.post("/account/password", include_in_schema=False, dependencies=CSRF)
def password_submit(
    request: Request,
    session: PageSession,
    current_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    repeat_password: Annotated[str, Form(max_length=256)],
) -> HTMLResponse:
    """Change the password; a refusal is shown on the form with its reason."""
    t = translator(session.language)
    if new_password != repeat_password:
        return render(
            request, "password.html", {"error": t("password.mismatch"), "done": False}, session=session, status=422
        )
    try:
        change_password(
            app_state(request).db,
            session.actor,
            current_password=current_password,
            new_password=new_password,
            now=utc_now(),
            keep_session_id=session.session_id,
        )
    except (AuthenticationFailed, InvalidInput) as exc:
        status = exc.status if isinstance(exc, AuthenticationFailed) else 422
        message = "; ".join(p.message for p in exc.problems)
        return render(request, "password.html", {"error": message, "done": False}, session=session, status=status)
    return render(request, "password.html", {"error": None, "done": True}, session=session)


@router.post("/account/language", include_in_schema=False, dependencies=CSRF)
def language_submit(
    request: Request, session: PageSession, language: Annotated[str, Form()], next: Annotated[str | None, Form()] = None
) -> RedirectResponse:
    """Choose the interface language (kept on the user)."""
    set_language(app_state(request).db, session.actor, language=language, now=utc_now())
    return RedirectResponse(_safe_next(next), status_code=303)


@router.get("/dashboard", include_in_schema=False)
def dashboard_page(request: Request, session: PageSession) -> HTMLResponse:
    """Enrollment against target, open queries, visits due and overdue, AEs by grade."""
    board = dashboard(app_state(request).db, session.actor, now=utc_now())
    return render(request, "dashboard.html", {"board": board}, session=session)


@router.get("/subjects", include_in_schema=False)
def matrix_page(
    request: Request, session: PageSession, site: Annotated[str | None, Query(max_length=32)] = None
) -> HTMLResponse:
    """Subjects × visits, each cell coloured by the state of the visit's forms."""
    matrix = subject_matrix(app_state(request).db, session.actor, now=utc_now(), site_code=site or None)
    return render(request, "matrix.html", {"matrix": matrix, "site": site}, session=session)
