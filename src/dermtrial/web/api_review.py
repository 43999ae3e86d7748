"""``/api/v1`` for safety and review: adverse events (with causality and SAE reports), queries, source data
verification, the audit history of a record, signatures, locks, and the primary endpoint of the latest report.

Same rules as :mod:`dermtrial.web.api`: bearer token, 404 for another site's record, 403 for an action the role
lacks, ``ETag``/``If-Match`` (412 stale, 428 missing) on every change of a versioned record.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response

from dermtrial.services import locks, queries, review_reads, safety_ae, safety_sae, sdv, signatures
from dermtrial.services.errors import Conflict, NotFound
from dermtrial.services.queries import QueryView
from dermtrial.services.records import STUDY_RECORDS
from dermtrial.store import utc_now
from dermtrial.web import schemas, schemas_review
from dermtrial.web.api import FormId, SubjectId, User, _etag, _if_match
from dermtrial.web.context import app_state
from dermtrial.web.errors import WebError

router = APIRouter(responses={401: schemas.ERRORS[401], 403: schemas.ERRORS[403], 422: schemas.ERRORS[422]})
EventId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The adverse event's id.")]
QueryId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The query's id.")]
EntityId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The record's id.")]
CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: schemas.ERRORS[404],
    412: schemas.error_example(412, "precondition-failed", "the record changed: you read version 1, it is now 2"),
    428: schemas.error_example(428, "precondition-required", 'send the version you read as If-Match: "2"'),
}
ENDPOINTS_FILE = "endpoints.json"


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


def _sdv(request: Request, user: Any, form_id: int) -> dict[str, Any]:
    found = sdv.form_sdv(app_state(request).db, user, form_id=form_id)
    return {"form_id": found.form_id, "status": found.status, "items": found.items}


@router.get(
    "/subjects/{subject_id}/forms/{form_id}/sdv", response_model=schemas_review.Sdv,
    responses={404: schemas.ERRORS[404]}, summary="Source data verification of a form", tags=["review"],
)  # fmt: skip
def get_sdv(request: Request, user: User, subject_id: SubjectId, form_id: FormId) -> Any:
    """The form's SDV status and that of its items."""
    db = app_state(request).db
    place = review_reads.place_of(db, user, entity_type="form_instance", entity_id=form_id)
    if place.subject_id != subject_id:
        raise NotFound(f"no form {form_id} of subject {subject_id}", path=("form_id",), value=form_id)
    return _sdv(request, user, form_id)


@router.put(
    "/subjects/{subject_id}/forms/{form_id}/sdv", response_model=schemas_review.Sdv,
    responses={404: schemas.ERRORS[404]}, summary="Verify a form or an item (monitor)", tags=["review"],
)  # fmt: skip
def put_sdv(request: Request, user: User, subject_id: SubjectId, form_id: FormId, body: schemas_review.SdvInput) -> Any:
    """Mark the whole form (``item`` null) or one item verified, or withdraw it with a reason (``sdv.set``)."""
    get_sdv(request, user, subject_id, form_id)
    sdv.set_sdv(
        app_state(request).db, user, form_id=form_id, status=body.status, item=body.item, reason=body.reason,
        now=utc_now(),
    )  # fmt: skip
    return _sdv(request, user, form_id)


@router.get(
    "/audit/{entity_type}/{entity_id}", response_model=schemas_review.History, responses={404: schemas.ERRORS[404]},
    summary="The audit history of a record or one form item", tags=["review"],
)  # fmt: skip
def history(
    request: Request,
    user: User,
    entity_type: Annotated[str, Path(max_length=32, description="The record's table (form_instance …).")],
    entity_id: EntityId,
    item: Annotated[str | None, Query(max_length=64, description="One form item only.")] = None,
) -> Any:
    """Who changed what, when (UTC), old → new, and why (``audit.read``)."""
    rows = review_reads.record_history(
        app_state(request).db, user, entity_type=entity_type, entity_id=entity_id, item=item
    )
    return {"items": [row.to_json() for row in rows]}


def _signature_json(view: signatures.SignatureView) -> dict[str, Any]:
    return {
        "id": view.id, "signer_name": view.signer_name, "username": view.username, "meaning": view.meaning,
        "signed_at": _utc_text(view.signed_at), "entity_version": view.entity_version, "valid": view.valid,
        "manifestation": view.manifestation,
    }  # fmt: skip


@router.get(
    "/signatures/{entity_type}/{entity_id}", response_model=schemas_review.SignatureList,
    responses={404: schemas.ERRORS[404]}, summary="The signatures of a record", tags=["review"],
)  # fmt: skip
def list_signatures(
    request: Request,
    user: User,
    entity_type: Annotated[str, Path(max_length=32, description="The record's table.")],
    entity_id: EntityId,
) -> Any:
    """Every signature of the record, valid and invalid."""
    db = app_state(request).db
    if entity_type in STUDY_RECORDS:
        review_reads.place_of(db, user, entity_type=entity_type, entity_id=entity_id)
    rows = signatures.signatures_of(db, user, entity_type=entity_type, entity_id=entity_id)
    return {"items": [_signature_json(row) for row in rows]}


@router.post(
    "/signatures", response_model=schemas_review.SignatureList, status_code=201,
    responses={404: schemas.ERRORS[404]}, summary="Sign a record (password re-entered)", tags=["review"],
)  # fmt: skip
def sign(request: Request, user: User, body: schemas_review.SignatureInput) -> Any:
    """Sign with a meaning; a wrong password is 401 and counts towards the lockout."""
    db = app_state(request).db
    if body.entity_type in STUDY_RECORDS:
        review_reads.place_of(db, user, entity_type=body.entity_type, entity_id=body.entity_id)
    signatures.sign_record(
        db, user, entity_type=body.entity_type, entity_id=body.entity_id, password=body.password,
        meaning=body.meaning, now=utc_now(),
    )  # fmt: skip
    return list_signatures(request, user, body.entity_type, body.entity_id)


def _locks(request: Request, user: Any, entity_type: str, entity_id: int) -> dict[str, Any]:
    rows = locks.locks_on(app_state(request).db, user, entity_type=entity_type, entity_id=entity_id)
    return {
        "items": [
            {"id": r.id, "level": r.level, "entity_id": r.entity_id, "locked_at": _utc_text(r.locked_at),
             "locked_by": r.locked_by, "reason": r.reason}
            for r in rows
        ]
    }  # fmt: skip


@router.get(
    "/locks/{entity_type}/{entity_id}", response_model=schemas_review.LockList, responses={404: schemas.ERRORS[404]},
    summary="The locks in force on a record", tags=["review"],
)  # fmt: skip
def list_locks(
    request: Request,
    user: User,
    entity_type: Annotated[str, Path(max_length=32, description="The record's table.")],
    entity_id: EntityId,
) -> Any:
    """The locks covering the record: its own, its visit's, its subject's, the study's."""
    if entity_type in STUDY_RECORDS:
        review_reads.place_of(app_state(request).db, user, entity_type=entity_type, entity_id=entity_id)
    return _locks(request, user, entity_type, entity_id)


@router.post(
    "/locks", response_model=schemas_review.LockList, status_code=201, responses={404: schemas.ERRORS[404]},
    summary="Lock a form, a visit or a subject (data manager)", tags=["review"],
)  # fmt: skip
def lock(request: Request, user: User, body: schemas_review.LockInput) -> Any:
    """Lock a record (``lock.record``); writes to it are then refused."""
    table = locks.RECORD_LEVELS[body.level]
    db = app_state(request).db
    review_reads.place_of(db, user, entity_type=table, entity_id=body.entity_id)
    locks.lock_record(db, user, level=body.level, entity_id=body.entity_id, reason=body.reason, now=utc_now())
    return _locks(request, user, table, body.entity_id)


@router.post(
    "/locks/unlock", response_model=schemas_review.LockList, responses={404: schemas.ERRORS[404]},
    summary="Unlock a form, a visit or a subject, with a reason", tags=["review"],
)  # fmt: skip
def unlock(request: Request, user: User, body: schemas_review.LockInput) -> Any:
    """Unlock a record (``lock.record``, a reason)."""
    table = locks.RECORD_LEVELS[body.level]
    db = app_state(request).db
    review_reads.place_of(db, user, entity_type=table, entity_id=body.entity_id)
    locks.unlock_record(db, user, level=body.level, entity_id=body.entity_id, reason=body.reason or "", now=utc_now())
    return _locks(request, user, table, body.entity_id)


def report_file(request: Request, name: str) -> FsPath:
    """A file of the configured report folder (404 when no folder is configured or the report was not run)."""
    folder = app_state(request).settings.report_dir
    if not folder:
        raise WebError(404, "no report folder is configured (DERMTRIAL_REPORT_DIR)", field="report_dir")
    path = FsPath(folder) / name
    if not path.is_file():
        raise WebError(
            404, f"{name} is not in the report folder: run dermtrial report --db URL --out {folder}", field=name
        )
    return path


@router.get(
    "/endpoints",
    responses={200: {"description": "endpoints.json of the latest study report"}, 404: schemas.ERRORS[404]},
    summary="The primary endpoint (endpoints.json of the latest study report)",
    tags=["report"],
)
def endpoints(request: Request, user: User) -> Any:
    """``endpoints.json`` as the last ``dermtrial report --out`` wrote it (readers of every site's data only)."""
    review_reads.require_study_wide_read(app_state(request).db, user)
    data: Any = json.loads(report_file(request, ENDPOINTS_FILE).read_text(encoding="utf-8"))
    return data


__all__ = ["query_json", "report_file", "router"]
