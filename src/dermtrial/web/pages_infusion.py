"""The infusion record of an infusion visit: the dose computed from the weight shown live (``static/infusion.js``
asks ``/api/v1/subjects/{id}/dose``), the product unit's chain of custody, recorded through
:func:`dermtrial.services.dosing.record_infusion` (which computes and checks everything again and raises the
deviations). Works without JavaScript (the computed dose is shown once recorded)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from dermtrial.errors import DermtrialError
from dermtrial.services.conduct_views import visit_forms
from dermtrial.services.dosing import record_infusion
from dermtrial.services.sessions import OpenSession
from dermtrial.store import utc_now
from dermtrial.web.conduct_common import error_of, render_page
from dermtrial.web.context import app_state
from dermtrial.web.infusion_input import infusion_from_fields
from dermtrial.web.pages import CSRF, PageSession

router = APIRouter(include_in_schema=False)
FIELDS = (
    "weight_kg",
    "dose_given",
    "started_local",
    "ended_local",
    "unit_id",
    "lot",
    "donor_code",
    "release_certificate",
    "cell_count",
    "viability_percent",
    "volume_ml",
    "storage_temperature_c",
    "prepared_at",
    "expires_at",
    "identity_checked_by",
    "reactions",
)


def _page(
    request: Request,
    session: OpenSession,
    subject_id: int,
    visit_id: int,
    *,
    given: dict[str, str] | None = None,
    error: dict[str, Any] | None = None,
    recorded: Any = None,
    status: int = 200,
) -> HTMLResponse:
    visit = visit_forms(app_state(request).db, session.actor, subject_id=subject_id, visit_id=visit_id)
    context = {"v": visit, "given": given or {}, "error": error, "recorded": recorded}
    return render_page(request, "visit_infusion.html", context, session=session, status=status)


@router.get("/subjects/{subject_id}/visits/{visit_id}/infusion")
def infusion_page(request: Request, session: PageSession, subject_id: int, visit_id: int) -> HTMLResponse:
    """The infusion record form of the visit."""
    return _page(request, session, subject_id, visit_id)


@router.post("/subjects/{subject_id}/visits/{visit_id}/infusion", dependencies=CSRF)
async def infusion_submit(request: Request, session: PageSession, subject_id: int, visit_id: int) -> Response:
    """Record the infusion; the computed dose, the tolerance and custody problems are shown, refusals by field."""
    raw = await request.form()
    given = {name: str(raw.get(name) or "") for name in FIELDS}
    return await run_in_threadpool(_record, request, session, subject_id, visit_id, given)


def _record(request: Request, session: OpenSession, subject_id: int, visit_id: int, given: dict[str, str]) -> Response:
    db = app_state(request).db
    visit = visit_forms(db, session.actor, subject_id=subject_id, visit_id=visit_id)  # 404: another site's visit
    try:
        infusion = infusion_from_fields(visit.visit_code, given)
        recorded = record_infusion(db, session.actor, subject_id=subject_id, infusion=infusion, now=utc_now())
    except DermtrialError as exc:
        error, status = error_of(exc)
        return _page(request, session, subject_id, visit_id, given=given, error=error, status=status)
    return _page(request, session, subject_id, visit_id, given=given, recorded=recorded)
