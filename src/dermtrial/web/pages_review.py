"""Safety and review pages, part one: a subject's adverse events (the form, causality per study product, the SAE
report and its clocks) and data clarification queries (raise on any field, answer, close, re-open, with age).

Part two (source data verification, audit history, signatures and locks, the study report) is
:mod:`dermtrial.web.pages_review_checks`, whose router this one includes: the app includes ``router`` once.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dermtrial.errors import DermtrialError
from dermtrial.safety.relatedness import RELATEDNESS
from dermtrial.safety.seriousness import SERIOUSNESS_CRITERIA
from dermtrial.safety.terms import ctcae_terms
from dermtrial.services import queries, review_reads, safety_ae, safety_sae
from dermtrial.services.access import Actor
from dermtrial.services.overview import get_subject
from dermtrial.services.queries import STATUSES
from dermtrial.store import utc_now
from dermtrial.store.engine import Database
from dermtrial.web import pages_review_checks
from dermtrial.web.context import app_state
from dermtrial.web.errors import WebError, from_error
from dermtrial.web.pages import CSRF, PageSession, _safe_next, render

router = APIRouter(include_in_schema=False)
router.include_router(pages_review_checks.router)
Text = Annotated[str, Form(max_length=4000)]
#: The steps a query in each status offers, and the permission each needs (as in services.queries.TRANSITIONS).
STEPS_FROM = {"open": ("answer", "close"), "answered": ("close", "reopen"), "closed": ("reopen",)}
STEP_PERMISSION = {step: permission for step, (_, _, permission) in queries.TRANSITIONS.items()}


def page_error(exc: DermtrialError) -> tuple[dict[str, Any], int]:
    """The one error shape of a service refusal and its status, to show on the page that was submitted."""
    body = from_error(exc)
    return body.to_json()["error"], body.status


def _choices(db: Database, actor: Actor) -> dict[str, Any]:
    """The protocol's code lists an AE form offers: products, actions, outcomes, terms, criteria, categories."""
    protocol = review_reads.study_protocol_for(db, actor)
    lists = {c.id: [(e.code, e.label) for e in c.entries] for c in protocol.codelists}
    return {
        "products": [(p.id, p.name) for p in protocol.interventions],
        "actions": lists.get("action_taken", []),
        "outcomes": lists.get("outcome", []),
        "terms": sorted(ctcae_terms()),
        "criteria": list(SERIOUSNESS_CRITERIA),
        "categories": RELATEDNESS,
    }


def _ae_page(
    request: Request, session: PageSession, subject_id: int, event_id: int | None, **extra: Any
) -> HTMLResponse:
    db = app_state(request).db
    subject = get_subject(db, session.actor, subject_id=subject_id)
    event = None
    if event_id is not None:
        event = review_reads.adverse_event(db, session.actor, subject_id=subject_id, event_id=event_id)
    site_id = review_reads.place_of(db, session.actor, entity_type="subject", entity_id=subject_id).site_id
    context: dict[str, Any] = {
        "subject": subject,
        "event": event,
        "choices": _choices(db, session.actor),
        "may_write": review_reads.may(db, session.actor, "ae.write", site_id),
        "may_assess": review_reads.may(db, session.actor, "ae.assess-causality", site_id),
        "error": None,
        "given": None,
        "saved": request.query_params.get("saved") == "1",
    }
    status = int(extra.pop("status", 200))
    context.update(extra)
    return render(request, "ae_form.html", context, session=session, status=status)


@router.get("/subjects/{subject_id}/adverse-events")
def ae_list(request: Request, session: PageSession, subject_id: int) -> HTMLResponse:
    """The subject's adverse events, by onset, with grade, seriousness and the SAE clocks."""
    db = app_state(request).db
    subject = get_subject(db, session.actor, subject_id=subject_id)
    events = review_reads.subject_adverse_events(db, session.actor, subject_id=subject_id)
    site_id = review_reads.place_of(db, session.actor, entity_type="subject", entity_id=subject_id).site_id
    may_write = review_reads.may(db, session.actor, "ae.write", site_id)
    protocol = review_reads.study_protocol_for(db, session.actor)
    products = {p.id: p.name for p in protocol.interventions}
    context = {"subject": subject, "events": events, "may_write": may_write, "products": products}
    return render(request, "ae_list.html", context, session=session)


@router.get("/subjects/{subject_id}/adverse-events/new")
def ae_new(request: Request, session: PageSession, subject_id: int) -> HTMLResponse:
    """An empty adverse-event form."""
    return _ae_page(request, session, subject_id, None)


@router.get("/subjects/{subject_id}/adverse-events/{event_id}")
def ae_show(request: Request, session: PageSession, subject_id: int, event_id: int) -> HTMLResponse:
    """One event: its form (for correction), the causality per product, the SAE reports and their clocks."""
    return _ae_page(request, session, subject_id, event_id)


def _entered(form: dict[str, Any]) -> safety_ae.AdverseEventInput:
    grade_text = str(form.get("grade") or "").strip()
    return safety_ae.AdverseEventInput(
        verbatim=str(form.get("verbatim") or ""),
        term=str(form.get("term") or ""),
        start=str(form.get("start") or "").strip(),
        stop=str(form.get("stop") or "").strip() or None,
        grade=int(grade_text) if grade_text.isdigit() else 0,
        seriousness=tuple(str(code) for code in form.get("seriousness", [])),
        action_taken=str(form.get("action_taken") or "") or None,
        outcome=str(form.get("outcome") or "") or None,
    )


async def _form_values(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {key: form.get(key) for key in form}
    values["seriousness"] = form.getlist("seriousness")
    return values


@router.post("/subjects/{subject_id}/adverse-events", dependencies=CSRF)
async def ae_create(request: Request, session: PageSession, subject_id: int) -> Response:
    """Report a new event; the causality (when given, by someone who may assess it) is recorded next."""
    given = await _form_values(request)
    return await run_in_threadpool(_save_ae, request, session, subject_id, None, given)


@router.post("/subjects/{subject_id}/adverse-events/{event_id}", dependencies=CSRF)
async def ae_update(request: Request, session: PageSession, subject_id: int, event_id: int) -> Response:
    """Correct an event (a reason and the version read), and its causality."""
    given = await _form_values(request)
    return await run_in_threadpool(_save_ae, request, session, subject_id, event_id, given)


def _save_ae(
    request: Request, session: PageSession, subject_id: int, event_id: int | None, given: dict[str, Any]
) -> Response:
    db, now, actor = app_state(request).db, utc_now(), session.actor
    choices = _choices(db, actor)
    relatedness = {p: str(given.get(f"rel_{p}") or "") for p, _ in choices["products"]}
    try:
        get_subject(db, actor, subject_id=subject_id)
        event = _entered(given)
        if event_id is None:
            event_id = safety_ae.record_adverse_event(db, actor, subject_id=subject_id, event=event, now=now)
        else:
            version = int(str(given.get("version") or "0") or 0)
            review_reads.adverse_event(db, actor, subject_id=subject_id, event_id=event_id)
            safety_ae.update_adverse_event(
                db, actor, event_id=event_id, event=event, expected_version=version,
                reason=str(given.get("reason") or ""), now=now,
            )  # fmt: skip
        current = review_reads.adverse_event(db, actor, subject_id=subject_id, event_id=event_id)
        if all(relatedness.values()) and relatedness != current.relatedness:
            safety_ae.assess_causality(
                db, actor, event_id=event_id, relatedness=relatedness, expected_version=current.version, now=now
            )
    except DermtrialError as exc:
        error, status = page_error(exc)
        return _ae_page(request, session, subject_id, event_id, error=error, given=given, status=status)
    return RedirectResponse(f"/subjects/{subject_id}/adverse-events/{event_id}?saved=1", status_code=303)


@router.post("/subjects/{subject_id}/adverse-events/{event_id}/sae-reports", dependencies=CSRF)
def sae_report(
    request: Request,
    session: PageSession,
    subject_id: int,
    event_id: int,
    aware_local: Annotated[str, Form(max_length=32)],
    narrative: Text,
) -> Response:
    """File the initial SAE report or a follow-up; the page then shows the clocks it started."""
    db = app_state(request).db
    try:
        review_reads.adverse_event(db, session.actor, subject_id=subject_id, event_id=event_id)
        safety_sae.report_sae(
            db, session.actor, event_id=event_id, narrative=narrative, aware_local=aware_local, now=utc_now()
        )
    except DermtrialError as exc:
        error, status = page_error(exc)
        given = {"aware_local": aware_local, "narrative": narrative}
        return _ae_page(request, session, subject_id, event_id, sae_error=error, sae_given=given, status=status)
    return RedirectResponse(f"/subjects/{subject_id}/adverse-events/{event_id}?saved=1", status_code=303)


@router.get("/queries")
def query_list(
    request: Request,
    session: PageSession,
    status: Annotated[str | None, Query(max_length=16)] = "open",
    subject_id: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """Queries of the sites the user may read (open ones by default), oldest first, with age and thread."""
    db = app_state(request).db
    status = status if status in STATUSES else None
    if subject_id is not None:
        review_reads.place_of(db, session.actor, entity_type="subject", entity_id=subject_id)
    found = queries.list_queries(db, session.actor, now=utc_now(), status=status, subject_id=subject_id)
    held = review_reads.site_permissions(db, session.actor, tuple(set(STEP_PERMISSION.values())))
    steps_of = {
        q.id: [step for step in STEPS_FROM[q.status] if STEP_PERMISSION[step] in held.get(q.site_code, set())]
        for q in found
    }
    context = {"queries": found, "status": status, "statuses": STATUSES, "subject_id": subject_id, "steps_of": steps_of}
    return render(request, "queries.html", context, session=session)


@router.post("/queries", dependencies=CSRF)
def query_raise(
    request: Request,
    session: PageSession,
    entity_type: Annotated[str, Form(max_length=32)],
    entity_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    text: Text,
    field: Annotated[str | None, Form(max_length=64)] = None,
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """Raise a query on a record or one of its items (monitors, data managers); back to the page it came from."""
    db = app_state(request).db
    review_reads.place_of(db, session.actor, entity_type=entity_type, entity_id=entity_id)
    queries.open_query(
        db, session.actor, entity_type=entity_type, entity_id=entity_id, field=field or None, text=text, now=utc_now()
    )
    return RedirectResponse(_safe_next(next or "/queries"), status_code=303)


@router.post("/queries/{query_id}/{action}", dependencies=CSRF)
def query_step(
    request: Request,
    session: PageSession,
    query_id: int,
    action: str,
    text: Text,
    version: Annotated[int | None, Form(ge=1)] = None,
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """Answer (the site), close or re-open (monitor, data manager) a query, with the version read."""
    steps = {"answer": queries.answer_query, "close": queries.close_query, "reopen": queries.reopen_query}
    if action not in steps:
        raise WebError(404, f"no query action {action}: one of {', '.join(steps)}", field="action")
    db = app_state(request).db
    review_reads.query_place(db, session.actor, query_id=query_id)
    steps[action](db, session.actor, query_id=query_id, text=text, now=utc_now(), expected_version=version)
    return RedirectResponse(_safe_next(next or "/queries"), status_code=303)
