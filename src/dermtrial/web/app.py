"""The web app: :func:`create_app` builds it from :class:`~dermtrial.web.settings.Settings`.

Pages (server-rendered, ``pages``) and the JSON API (``/api/v1``, its own OpenAPI document at
``/api/v1/openapi.json``) share the database and the error shape. Handlers are plain functions (run in the thread
pool); they parse, authenticate, call one service and render.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from dermtrial.errors import DermtrialError
from dermtrial.store.engine import Database
from dermtrial.web import api, api_conduct, api_review, health, pages, pages_conduct, pages_review
from dermtrial.web.context import AppState
from dermtrial.web.errors import ErrorBody, WebError, from_error, from_http_exception, from_validation, from_web_error
from dermtrial.web.i18n import from_accept_language, translator
from dermtrial.web.security import CSRF_COOKIE, LoginRequired
from dermtrial.web.settings import Settings

LOG = logging.getLogger("dermtrial.web")

#: Sent with every answer: no framing, no sniffing, no third-party anything.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/healthz" or "application/json" in request.headers.get("accept", "")


def error_response(request: Request, body: ErrorBody) -> Response:
    """The error as JSON (API) or as the error page (browser)."""
    if _wants_json(request):
        response: Response = JSONResponse(body.to_json(), status_code=body.status)
    else:
        state: AppState = request.app.state.dermtrial
        language = getattr(request.state, "language", None) or from_accept_language(
            request.headers.get("accept-language")
        )
        response = state.templates.TemplateResponse(
            request,
            "error.html",
            {"error": body.to_json()["error"], "t": translator(language), "language": language, "user": None},
            status_code=body.status,
        )
    if body.status == 401 and request.url.path.startswith("/api/"):
        response.headers["WWW-Authenticate"] = 'Bearer realm="dermtrial"'
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the one shape (used on the main app and on the mounted API)."""

    async def on_dermtrial(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DermtrialError)
        return error_response(request, from_error(exc))

    async def on_web(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        return error_response(request, from_web_error(exc))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(request, from_validation(exc, api.bounds_for(request)))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(request, from_http_exception(exc))

    async def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        flag = "&ended=1" if exc.message else ""
        return RedirectResponse(f"/login?next={quote(target, safe='')}{flag}", status_code=303)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        LOG.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(request, ErrorBody(500, "internal-error", "the server failed; the error was logged"))

    app.add_exception_handler(DermtrialError, on_dermtrial)
    app.add_exception_handler(WebError, on_web)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(Exception, on_unexpected)


def _host_allowed(host_header: str, allowed: tuple[str, ...]) -> bool:
    if "*" in allowed:
        return True
    host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    return host.strip("[]").lower() in {h.lower() for h in allowed}


def create_app(settings: Settings, *, database: Database | None = None) -> FastAPI:
    """The web app for ``settings`` (``database``: share an open :class:`Database`, as tests do)."""
    db = database or Database(settings.database_url)
    templates = Jinja2Templates(directory=str(resources.files("dermtrial.web") / "templates"))
    templates.env.globals["states_order"] = pages.STATE_ORDER
    state = AppState(settings=settings, db=db, templates=templates)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if database is None:
            db.dispose()

    app = FastAPI(title="dermtrial", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.dermtrial = state
    install_error_handlers(app)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not _host_allowed(request.headers.get("host", ""), settings.allowed_hosts):
            response = error_response(
                request,
                ErrorBody(
                    400,
                    "bad-request",
                    f'host "{request.headers.get("host", "")}" is not served here (DERMTRIAL_ALLOWED_HOSTS)',
                ),
            )
        else:
            response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        seed = getattr(request.state, "new_csrf_seed", None)
        if seed and not request.cookies.get(CSRF_COOKIE):
            response.set_cookie(
                CSRF_COOKIE, seed, httponly=True, samesite="strict", secure=settings.cookie_secure, path="/"
            )
        return response

    app.mount("/static", StaticFiles(directory=str(resources.files("dermtrial.web") / "static")), name="static")
    api_app = api.create_api()
    api_app.include_router(api_conduct.router)
    api_app.include_router(api_review.router)
    api_app.state.dermtrial = state
    install_error_handlers(api_app)
    app.mount("/api/v1", api_app)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(pages_conduct.router)
    app.include_router(pages_review.router)
    return app
