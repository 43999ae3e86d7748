"""``/api/v1`` for safety and review: adverse events (with causality and SAE reports) and queries; source data
verification, audit history, signatures, locks and the primary endpoint are in :mod:`dermtrial.web.api_review_checks`,
whose router this one includes.

Same rules as :mod:`dermtrial.web.api`: bearer token, 404 for another site's record, 403 for an action the role
lacks, ``ETag``/``If-Match`` (412 stale, 428 missing) on every change of a versioned record.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response

from dermtrial.services import queries, review_reads, safety_ae, safety_sae
from dermtrial.services.errors import Conflict
from dermtrial.services.queries import QueryView
from dermtrial.services.records import STUDY_RECORDS
from dermtrial.store import utc_now
from dermtrial.web import api_review_checks, schemas, schemas_review
from dermtrial.web.api import SubjectId, User, _etag, _if_match
from dermtrial.web.context import app_state
from dermtrial.web.errors import WebError

router = APIRouter(responses={401: schemas.ERRORS[401], 403: schemas.ERRORS[403], 422: schemas.ERRORS[422]})
router.include_router(api_review_checks.router)
EventId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The adverse event's id.")]
QueryId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The query's id.")]
CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: schemas.ERRORS[404],
    412: schemas.error_example(412, "precondition-failed", "the record changed: you read version 1, it is now 2"),
    428: schemas.error_example(428, "precondition-required", 'send the version you read as If-Match: "2"'),
}


def _stale(exc: Conflict) -> WebError | None:
    if exc.problems and exc.problems[0].path == ("version",):
        return WebError(412, str(exc), field="If-Match")
    return None


def _event_input(body: schemas_review.AdverseEventInput) -> safety_ae.AdverseEventInput:
    return safety_ae.AdverseEventInput(
        verbatim=body.verbatim, term=body.term, start=body.start, grade=body.grade, stop=body.stop,
        seriousness=tuple(body.seriousness), action_taken=body.action_taken, outcome=body.outcome,
    )  # fmt: skip


def _ae(request: Request, response: Response, user: Any, subject_id: int, event_id: int) -> dict[str, Any]:
    row = review_reads.adverse_event(app_state(request).db, user, subject_id=subject_id, event_id=event_id)
    response.headers["ETag"] = _etag(row.version)
    return row.to_json()


@router.get(
    "/subjects/{subject_id}/adverse-events",
    response_model=schemas_review.AdverseEventList,
    responses={404: schemas.ERRORS[404]},
    summary="The adverse events of a subject",
    tags=["safety"],
)
def list_aes(request: Request, user: User, subject_id: SubjectId) -> dict[str, Any]:
    """The subject's adverse events by onset, with relatedness, expectedness and SAE reports."""
    rows = review_reads.subject_adverse_events(app_state(request).db, user, subject_id=subject_id)
    return {"items": [row.to_json() for row in rows]}


@router.get(
    "/subjects/{subject_id}/adverse-events/{event_id}",
    response_model=schemas_review.AdverseEvent,
    responses={404: schemas.ERRORS[404]},
    summary="One adverse event, with its version as ETag",
    tags=["safety"],
)
def get_ae(request: Request, response: Response, user: User, subject_id: SubjectId, event_id: EventId) -> Any:
    """One adverse event of the subject."""
    return _ae(request, response, user, subject_id, event_id)


@router.post(
    "/subjects/{subject_id}/adverse-events",
    response_model=schemas_review.AdverseEvent,
    status_code=201,
    responses={404: schemas.ERRORS[404]},
    summary="Report an adverse event",
    tags=["safety"],
)
def create_ae(
    request: Request, response: Response, user: User, subject_id: SubjectId, body: schemas_review.AdverseEventInput
) -> Any:
    """Record a new adverse event (``ae.write`` at the subject's site)."""
    db = app_state(request).db
    review_reads.place_of(db, user, entity_type="subject", entity_id=subject_id)
    event_id = safety_ae.record_adverse_event(db, user, subject_id=subject_id, event=_event_input(body), now=utc_now())
    response.headers["Location"] = f"/api/v1/subjects/{subject_id}/adverse-events/{event_id}"
    return _ae(request, response, user, subject_id, event_id)


@router.patch(
    "/subjects/{subject_id}/adverse-events/{event_id}",
    response_model=schemas_review.AdverseEvent,
    responses=CHANGE_ERRORS,
    summary="Correct an adverse event (If-Match required)",
    tags=["safety"],
)
def change_ae(
    request: Request,
    response: Response,
    user: User,
    subject_id: SubjectId,
    event_id: EventId,
    body: schemas_review.AdverseEventChange,
    if_match: Annotated[str | None, Header(description='The version read, e.g. "2".')] = None,
) -> Any:
    """Correct an event with a reason; a stale ``If-Match`` is 412."""
    db = app_state(request).db
    current = review_reads.adverse_event(db, user, subject_id=subject_id, event_id=event_id)
    version = _if_match(if_match, current.version)
    try:
        safety_ae.update_adverse_event(
            db, user, event_id=event_id, event=_event_input(body), expected_version=version, reason=body.reason,
            now=utc_now(),
        )  # fmt: skip
    except Conflict as exc:
        raise (_stale(exc) or exc) from exc
    return _ae(request, response, user, subject_id, event_id)


@router.put(
    "/subjects/{subject_id}/adverse-events/{event_id}/relatedness",
    response_model=schemas_review.AdverseEvent,
    responses=CHANGE_ERRORS,
    summary="Assess the relatedness to every study product (If-Match required)",
    tags=["safety"],
)
def put_causality(
    request: Request,
    response: Response,
    user: User,
    subject_id: SubjectId,
    event_id: EventId,
    body: schemas_review.CausalityInput,
    if_match: Annotated[str | None, Header(description='The version read, e.g. "2".')] = None,
) -> Any:
    """The investigator's causality assessment, one category per study product of the protocol."""
    db = app_state(request).db
    current = review_reads.adverse_event(db, user, subject_id=subject_id, event_id=event_id)
    version = _if_match(if_match, current.version)
    try:
        safety_ae.assess_causality(
            db, user, event_id=event_id, relatedness=dict(body.relatedness), expected_version=version, now=utc_now()
        )
    except Conflict as exc:
        raise (_stale(exc) or exc) from exc
    return _ae(request, response, user, subject_id, event_id)


@router.post(
    "/subjects/{subject_id}/adverse-events/{event_id}/sae-reports",
    response_model=schemas_review.AdverseEvent,
    status_code=201,
    responses={404: schemas.ERRORS[404]},
    summary="File the initial SAE report or a follow-up (starts the reporting clocks)",
    tags=["safety"],
)
def file_sae(
    request: Request,
    response: Response,
    user: User,
    subject_id: SubjectId,
    event_id: EventId,
    body: schemas_review.SaeReportInput,
) -> Any:
    """File a report of a serious event; the event then carries the site and sponsor due times."""
    db = app_state(request).db
    review_reads.adverse_event(db, user, subject_id=subject_id, event_id=event_id)
    safety_sae.report_sae(
        db, user, event_id=event_id, narrative=body.narrative, aware_local=body.aware_local, now=utc_now()
    )
    return _ae(request, response, user, subject_id, event_id)


def _utc_text(value: dt.datetime) -> str:
    value = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return f"{value.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}"


def query_json(view: QueryView) -> dict[str, Any]:
    """A query as the API sends it (age in whole days)."""
    return {
        "id": view.id,
        "version": view.version,
        "site": view.site_code,
        "subject_id": view.subject_id,
        "entity_type": view.entity_type,
        "entity_id": view.entity_id,
        "field": view.field,
        "status": view.status,
        "origin": view.origin,
        "text": view.text,
        "opened_at": _utc_text(view.opened_at),
        "closed_at": _utc_text(view.closed_at) if view.closed_at else None,
        "age_days": view.age.days,
        "messages": [
            {"action": m.action, "text": m.text, "username": m.username, "at": _utc_text(m.at)} for m in view.messages
        ],
    }


def _one_query(request: Request, user: Any, query_id: int) -> QueryView:
    db = app_state(request).db
    place = review_reads.query_place(db, user, query_id=query_id)
    found = queries.list_queries(db, user, now=utc_now(), subject_id=place.subject_id, study_id=place.study_id)
    return next(view for view in found if view.id == query_id)


@router.get("/queries", response_model=schemas_review.QueryPage, summary="List queries (site scoped)", tags=["queries"])
def list_queries(
    request: Request,
    user: User,
    status: Annotated[str | None, Query(description="open, answered or closed.")] = None,
    site: Annotated[str | None, Query(max_length=32, description="Only this site's queries.")] = None,
    subject_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Only this subject's.")] = None,
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=200, description="Queries per page.")] = 50,
) -> dict[str, Any]:
    """The queries at the sites the user may read, oldest first, with their age in days."""
    db = app_state(request).db
    if subject_id is not None:
        review_reads.place_of(db, user, entity_type="subject", entity_id=subject_id)
    found = queries.list_queries(db, user, now=utc_now(), site_code=site, subject_id=subject_id, status=status)
    chunk = found[(page - 1) * per_page : page * per_page]
    more = page * per_page < len(found)
    following = request.url.include_query_params(page=page + 1, per_page=per_page)
    return {
        "items": [query_json(view) for view in chunk],
        "page": page,
        "per_page": per_page,
        "total": len(found),
        "next": f"{following.path}?{following.query}" if more else None,
    }


@router.get(
    "/queries/{query_id}", response_model=schemas_review.Query, responses={404: schemas.ERRORS[404]},
    summary="One query, with its version as ETag", tags=["queries"],
)  # fmt: skip
def get_query(request: Request, response: Response, user: User, query_id: QueryId) -> Any:
    """One query and its thread."""
    view = _one_query(request, user, query_id)
    response.headers["ETag"] = _etag(view.version)
    return query_json(view)


@router.post(
    "/queries", response_model=schemas_review.Query, status_code=201, responses={404: schemas.ERRORS[404]},
    summary="Raise a query on a record or one of its fields", tags=["queries"],
)  # fmt: skip
def raise_query(request: Request, response: Response, user: User, body: schemas_review.QueryInput) -> Any:
    """Open a query (``query.raise``: monitors and data managers)."""
    db = app_state(request).db
    if body.entity_type in STUDY_RECORDS:
        review_reads.place_of(db, user, entity_type=body.entity_type, entity_id=body.entity_id)
    query_id = queries.open_query(
        db, user, entity_type=body.entity_type, entity_id=body.entity_id, field=body.field, text=body.text,
        now=utc_now(),
    )  # fmt: skip
    view = _one_query(request, user, query_id)
    response.headers["ETag"] = _etag(view.version)
    response.headers["Location"] = f"/api/v1/queries/{query_id}"
    return query_json(view)


def _step(action: str, request: Request, response: Response, user: Any, query_id: int, text: str, if_match: Any) -> Any:
    current = _one_query(request, user, query_id)
    version = _if_match(if_match, current.version)
    step = {"answer": queries.answer_query, "close": queries.close_query, "reopen": queries.reopen_query}[action]
    try:
        step(app_state(request).db, user, query_id=query_id, text=text, now=utc_now(), expected_version=version)
    except Conflict as exc:
        raise (_stale(exc) or exc) from exc
    view = _one_query(request, user, query_id)
    response.headers["ETag"] = _etag(view.version)
    return query_json(view)


IfMatch = Annotated[str | None, Header(description='The version read, e.g. "1".')]


@router.post(
    "/queries/{query_id}/answer", response_model=schemas_review.Query, responses=CHANGE_ERRORS,
    summary="Answer a query (the site)", tags=["queries"],
)  # fmt: skip
def answer(
    request: Request, response: Response, user: User, query_id: QueryId, body: schemas_review.QueryStep,
    if_match: IfMatch = None,
) -> Any:  # fmt: skip
    """open → answered (``query.answer``)."""
    return _step("answer", request, response, user, query_id, body.text, if_match)


@router.post(
    "/queries/{query_id}/close", response_model=schemas_review.Query, responses=CHANGE_ERRORS,
    summary="Close a query (monitor, data manager)", tags=["queries"],
)  # fmt: skip
def close(
    request: Request, response: Response, user: User, query_id: QueryId, body: schemas_review.QueryStep,
    if_match: IfMatch = None,
) -> Any:  # fmt: skip
    """open or answered → closed (``query.close``)."""
    return _step("close", request, response, user, query_id, body.text, if_match)


@router.post(
    "/queries/{query_id}/reopen", response_model=schemas_review.Query, responses=CHANGE_ERRORS,
    summary="Re-open a query (monitor, data manager)", tags=["queries"],
)  # fmt: skip
def reopen(
    request: Request, response: Response, user: User, query_id: QueryId, body: schemas_review.QueryStep,
    if_match: IfMatch = None,
) -> Any:  # fmt: skip
    """answered or closed → open (``query.close``)."""
    return _step("reopen", request, response, user, query_id, body.text, if_match)


__all__ = ["query_json", "router"]
