"""Ointment weighing at a visit: a tube dispensed (lot, expiry, weight) and a tube returned (weight), through
:mod:`dermtrial.services.accountability`, which computes the average g/week and raises the safety alert above the
label limit. The answer is shown on the page; refusals name their field and keep what was typed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from dermtrial.errors import DermtrialError, InvalidInput, Problem
from dermtrial.services.accountability import dispense_tube, return_tube
from dermtrial.services.conduct_views import visit_forms
from dermtrial.services.sessions import OpenSession
from dermtrial.store import utc_now
from dermtrial.web.conduct_common import error_of, render_page
from dermtrial.web.context import app_state
from dermtrial.web.pages import CSRF, PageSession

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    session: OpenSession,
    subject_id: int,
    visit_id: int,
    *,
    given: dict[str, str] | None = None,
    error: dict[str, Any] | None = None,
    done: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    visit = visit_forms(app_state(request).db, session.actor, subject_id=subject_id, visit_id=visit_id)
    context = {"v": visit, "given": given or {}, "error": error, "done": done}
    return render_page(request, "visit_ointment.html", context, session=session, status=status)


def _grams(field: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInput([Problem((field,), "not a number", value=text)]) from None
    return value


@router.get("/subjects/{subject_id}/visits/{visit_id}/ointment")
def ointment_page(request: Request, session: PageSession, subject_id: int, visit_id: int) -> HTMLResponse:
    """The dispensing and return forms of the visit."""
    return _page(request, session, subject_id, visit_id)


@router.post("/subjects/{subject_id}/visits/{visit_id}/ointment/dispense", dependencies=CSRF)
def ointment_dispense(
    request: Request,
    session: PageSession,
    subject_id: int,
    visit_id: int,
    tube_id: Annotated[str, Form(max_length=64)],
    lot: Annotated[str, Form(max_length=64)],
    expiry: Annotated[str, Form(max_length=10)],
    weight_g: Annotated[str, Form(max_length=16)],
    dispensed_local: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    """Dispense a weighed tube."""
    given = {"tube_id": tube_id, "lot": lot, "expiry": expiry, "weight_g": weight_g, "dispensed_local": dispensed_local}
    db = app_state(request).db
    visit_forms(db, session.actor, subject_id=subject_id, visit_id=visit_id)  # 404: another site's visit
    try:
        try:
            expires = dt.date.fromisoformat(expiry)
        except ValueError:
            raise InvalidInput([Problem(("expiry",), "not a date YYYY-MM-DD", value=expiry)]) from None
        dispense_tube(
            db,
            session.actor,
            subject_id=subject_id,
            tube_id=tube_id,
            lot=lot,
            expiry=expires,
            weight_g=_grams("weight_g", weight_g),
            dispensed_local=dispensed_local,
            now=utc_now(),
        )
    except DermtrialError as exc:
        error, status = error_of(exc)
        return _page(request, session, subject_id, visit_id, given=given, error=error, status=status)
    return _page(request, session, subject_id, visit_id, done={"dispensed": tube_id})


@router.post("/subjects/{subject_id}/visits/{visit_id}/ointment/return", dependencies=CSRF)
def ointment_return(
    request: Request,
    session: PageSession,
    subject_id: int,
    visit_id: int,
    return_tube_id: Annotated[str, Form(max_length=64)],
    return_weight_g: Annotated[str, Form(max_length=16)],
    returned_local: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    """Weigh a returned tube: the average g/week and, above the limit, the alert."""
    given = {"return_tube_id": return_tube_id, "return_weight_g": return_weight_g, "returned_local": returned_local}
    db = app_state(request).db
    visit_forms(db, session.actor, subject_id=subject_id, visit_id=visit_id)
    try:
        back = return_tube(
            db,
            session.actor,
            subject_id=subject_id,
            tube_id=return_tube_id,
            weight_g=_grams("weight_g", return_weight_g),
            returned_local=returned_local,
            now=utc_now(),
        )
    except DermtrialError as exc:
        error, status = error_of(exc)
        return _page(request, session, subject_id, visit_id, given=given, error=error, status=status)
    done = {
        "returned": return_tube_id,
        "grams_per_week": back.use.grams_per_week,
        "above_limit": back.use.above_limit,
        "not_computable": back.use.reason,
    }
    return _page(request, session, subject_id, visit_id, done=done)
