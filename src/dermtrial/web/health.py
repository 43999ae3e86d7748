"""``GET /healthz``: is the database reachable and its schema at the revision this version ships? (JSON, no sign-in)

200 ``{"status": "ok", "database": "ok", "migrations": {"current": "0003", "head": "0003", "current_is_head": true}}``;
503 with ``"status": "unavailable"`` and an ``error`` in the one error shape when either check fails.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from dermtrial.store.migrate import current_revision, head_revision
from dermtrial.web.context import app_state
from dermtrial.web.errors import ErrorBody

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request) -> JSONResponse:
    """Database reachable and migrations current."""
    db = app_state(request).db
    body: dict[str, Any] = {"status": "ok", "database": "ok"}
    problem: str | None = None
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, head = current_revision(db), head_revision(db)
        body["migrations"] = {"current": current, "head": head, "current_is_head": current == head}
        if current != head:
            problem = f"the database is at schema revision {current}, this version needs {head}: dermtrial db upgrade"
    except SQLAlchemyError as exc:
        body["database"] = "unreachable"
        problem = f"the database cannot be reached: {type(exc).__name__}"
    if problem is None:
        return JSONResponse(body)
    body["status"] = "unavailable"
    body.update(ErrorBody(503, "unavailable", problem).to_json())
    return JSONResponse(body, status_code=503)
