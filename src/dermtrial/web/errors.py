"""One error shape for every error the web app answers, mapped in one place.

JSON (the API, ``/healthz`` and any client that asks for JSON)::

    {"error": {"status": 422, "code": "invalid-input", "message": "per_page: 500 is not allowed: must be <= 200",
               "field": "per_page", "value": 500, "allowed": "1–200",
               "problems": [{"field": "per_page", "message": "…", "value": 500, "allowed": "1–200"}]}}

``field``, ``value`` and ``allowed`` are present when known (for the first problem; every problem is listed under
``problems``). HTML pages render the same fields (``error.html``). Statuses: services' errors by
:func:`dermtrial.services.errors.http_status`; request validation 422; the web layer's own refusals
(:class:`WebError`: CSRF 403, stale ``If-Match`` 412, missing ``If-Match`` 428, unknown host 400 …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dermtrial.errors import DermtrialError, InvalidInput, Problem, format_path, problems_from_validation_error
from dermtrial.services.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ReasonRequired,
    http_status,
)

#: Service error class → code (the most specific class first).
_CODES: tuple[tuple[type[DermtrialError], str], ...] = (
    (AccountLocked, "account-locked"),
    (AuthenticationFailed, "unauthenticated"),
    (PermissionDenied, "forbidden"),
    (NotFound, "not-found"),
    (Conflict, "conflict"),
    (ReasonRequired, "reason-required"),
    (InvalidInput, "invalid-input"),
)
_HTTP_CODES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    415: "unsupported-media-type",
    422: "invalid-input",
    428: "precondition-required",
    500: "internal-error",
    503: "unavailable",
}


@dataclass(frozen=True)
class ErrorBody:
    """The fields of one error answer (see the module docstring)."""

    status: int
    code: str
    message: str
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``{"error": {...}}`` with the first problem's field, value and allowed at the top."""
        body: dict[str, Any] = {"status": self.status, "code": self.code, "message": self.message}
        if self.problems:
            first = self.problems[0]
            body.update({k: first[k] for k in ("field", "value", "allowed") if k in first})
            body["problems"] = self.problems
        return {"error": body}


class WebError(Exception):
    """A refusal of the web layer itself (not of a use case): status, code, message and optionally the field."""

    def __init__(self, status: int, message: str, *, code: str | None = None, field: str | None = None) -> None:
        self.status, self.message, self.field = status, message, field
        self.code = code or _HTTP_CODES.get(status, "error")
        super().__init__(message)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _problem(problem: Problem, allowed: str | None = None, *, with_allowed: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"field": format_path(problem.path), "message": problem.message}
    if type(problem.value) is not object:  # Problem's sentinel for "no value given" is a bare object()
        out["value"] = _jsonable(problem.value)
    if with_allowed:
        out["allowed"] = allowed if allowed is not None else _allowed_from_message(problem.message)
    return out


def _allowed_from_message(message: str) -> str:
    """What is allowed, from a problem's message: the part after ``is not allowed:``, the range of ``outside …``."""
    marker = "is not allowed: "
    if marker in message:
        return message.split(marker, 1)[1]
    return message.removeprefix("outside ")  # the services say "outside 20–220 1/min" of a range


def from_error(error: DermtrialError) -> ErrorBody:
    """The answer for a service error or bad input."""
    status = http_status(error)
    code = next((c for cls, c in _CODES if isinstance(error, cls)), "error")
    problems: list[Problem] = list(getattr(error, "problems", []))
    # Only bad input says what is allowed; a refusal (not found, forbidden, conflict) has nothing to offer there.
    with_allowed = status == 422
    return ErrorBody(status, code, str(error), [_problem(p, with_allowed=with_allowed) for p in problems])


def from_web_error(error: WebError) -> ErrorBody:
    """The answer for a refusal of the web layer."""
    problems = [{"field": error.field, "message": error.message}] if error.field else []
    return ErrorBody(error.status, error.code, error.message, problems)


def from_http_exception(error: StarletteHTTPException) -> ErrorBody:
    """The answer for Starlette's own refusals (unknown path, method not allowed)."""
    message = str(error.detail) if error.detail else _HTTP_CODES.get(error.status_code, "error")
    return ErrorBody(error.status_code, _HTTP_CODES.get(error.status_code, "error"), message)


def _location(loc: tuple[Any, ...]) -> tuple[str, tuple[str | int, ...]]:
    """(where: query/path/header/body/cookie, the field path inside it)."""
    if loc and loc[0] in {"query", "path", "header", "body", "cookie"}:
        return str(loc[0]), tuple(loc[1:])
    return "body", tuple(loc)


def from_validation(error: RequestValidationError, bounds: dict[str, str] | None = None) -> ErrorBody:
    """The answer for a request FastAPI could not validate: one problem per field with value and allowed range.

    ``bounds`` maps a field path (``per_page``) to its whole allowed range (``1–200``) when the route knows it.
    """
    problems: list[dict[str, Any]] = []
    for raw in error.errors():
        where, path = _location(tuple(raw.get("loc", ())))
        converted = _problem_from_pydantic(raw, path)
        name = format_path(converted.path)
        allowed = (bounds or {}).get(name) or _allowed_from_pydantic(raw)
        entry = _problem(converted, allowed)
        entry["in"] = where
        problems.append(entry)
    first = problems[0] if problems else {"field": "(request)", "message": "the request is not valid"}
    return ErrorBody(422, "invalid-input", f"{first['field']}: {first['message']}", problems)


def _problem_from_pydantic(raw: dict[str, Any], path: tuple[Any, ...]) -> Problem:
    """One pydantic error dictionary as a :class:`Problem` with dermtrial's wording."""
    try:
        exc = ValidationError.from_exception_data(
            "request",
            [
                {
                    "type": raw["type"],
                    "loc": tuple(path) or ("request",),
                    "input": raw.get("input"),
                    "ctx": raw.get("ctx") or {},
                }
            ],
        )
        problem = problems_from_validation_error(exc)[0]
    except (KeyError, TypeError, ValueError):
        problem = Problem(path=tuple(path), message=str(raw.get("msg", "not valid")), value=raw.get("input"))
    return problem


def _allowed_from_pydantic(raw: dict[str, Any]) -> str:
    ctx = raw.get("ctx") or {}
    kind = raw.get("type", "")
    symbols = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
    if kind in symbols and ctx:
        return f"{symbols[kind]} {next(iter(ctx.values()))}"
    if kind in {"literal_error", "enum"}:
        return f"one of {ctx.get('expected', '')}"
    if kind == "missing":
        return "a value is required"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "a whole number"
    if kind in {"string_too_long", "string_too_short"}:
        return str(raw.get("msg", ""))
    if kind in {"extra_forbidden"}:
        return "no such field"
    return str(raw.get("msg", ""))
