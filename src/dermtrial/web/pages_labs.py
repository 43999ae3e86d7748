"""The lab entry screen of a visit: a result with its unit, the CTCAE grade shown live as it is typed (``static/lab.js``
asks ``/api/v1/subjects/{id}/labs/grade``, graded by the safety core), and saved through
:func:`dermtrial.services.safety_labs.record_lab_result`. Works without JavaScript (the grade is shown once saved)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dermtrial.errors import DermtrialError
from dermtrial.services.conduct_views import visit_forms
from dermtrial.services.lab_preview import lab_tests, visit_lab_results
from dermtrial.services.safety_labs import record_lab_result
from dermtrial.store import utc_now
from dermtrial.web.conduct_common import error_of, render_page
from dermtrial.web.context import app_state
from dermtrial.web.pages import CSRF, PageSession

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    session: PageSession,
    subject_id: int,
    visit_id: int,
    *,
    given: dict[str, str] | None = None,
    error: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    db = app_state(request).db
    visit = visit_forms(db, session.actor, subject_id=subject_id, visit_id=visit_id)
    context = {
        "v": visit,
        "tests": lab_tests(db, session.actor, subject_id=subject_id),
        "results": visit_lab_results(db, session.actor, subject_id=subject_id, visit_id=visit_id),
        "given": given or {"collected_local": (visit.visit_local or "")[:10]},
        "error": error,
        "saved": request.query_params.get("saved"),
    }
    return render_page(request, "lab.html", context, session=session, status=status)


@router.get("/subjects/{subject_id}/visits/{visit_id}/labs")
def lab_page(request: Request, session: PageSession, subject_id: int, visit_id: int) -> HTMLResponse:
    """The visit's laboratory results and the entry form."""
    return _page(request, session, subject_id, visit_id)


@router.post("/subjects/{subject_id}/visits/{visit_id}/labs", dependencies=CSRF)
def lab_submit(
    request: Request,
    session: PageSession,
    subject_id: int,
    visit_id: int,
    test_code: Annotated[str, Form(max_length=16)],
    value: Annotated[str, Form(max_length=32)],
    unit: Annotated[str, Form(max_length=16)],
    collected_local: Annotated[str, Form(max_length=32)],
) -> Response:
    """Record the result (SI value, reference range and grade by the service); a refusal names its field."""
    given = {"test_code": test_code, "value": value, "unit": unit, "collected_local": collected_local}
    db = app_state(request).db
    visit_forms(db, session.actor, subject_id=subject_id, visit_id=visit_id)  # 404: another site's visit
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        error = {
            "status": 422,
            "code": "invalid-input",
            "field": "value",
            "value": value,
            "message": f"value: {value!r} is not a number",
            "allowed": "a number ≥ 0",
        }
        return _page(request, session, subject_id, visit_id, given=given, error=error, status=422)
    try:
        saved = record_lab_result(
            db,
            session.actor,
            subject_id=subject_id,
            test_code=test_code,
            value=number,
            unit=unit,
            collected_local=collected_local,
            visit_id=visit_id,
            now=utc_now(),
        )
    except DermtrialError as exc:
        error, status = error_of(exc)
        return _page(request, session, subject_id, visit_id, given=given, error=error, status=status)
    return RedirectResponse(f"/subjects/{subject_id}/visits/{visit_id}/labs?saved={saved.id}", status_code=303)
