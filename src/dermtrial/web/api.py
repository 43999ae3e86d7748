"""``/api/v1``: the JSON API, with its own OpenAPI document at ``/api/v1/openapi.json``.

Authentication: ``Authorization: Bearer <token>`` (``dermtrial token create``). Scoping is the services': a subject
of a site where the token's user holds no grant is 404, an action their role lacks 403. Versions: a subject and a
form carry ``version``, sent as the ``ETag`` (``"3"``); a change sends it back in ``If-Match`` and a stale one is
answered 412 (a missing one 428). Lists are paginated (``page``, ``per_page`` up to 200, ``total``, ``next``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dermtrial.services.access import Actor
from dermtrial.services.errors import Conflict
from dermtrial.services.forms import save_form
from dermtrial.services.overview import (
    MAX_PER_PAGE,
    SUBJECT_STATUSES,
    get_form,
    get_subject,
    list_subjects,
    subject_visits,
)
from dermtrial.store import utc_now
from dermtrial.web import schemas
from dermtrial.web.context import app_state
from dermtrial.web.errors import WebError
from dermtrial.web.security import api_actor

API_VERSION = "1.0"
router = APIRouter(responses={401: schemas.ERRORS[401], 403: schemas.ERRORS[403], 422: schemas.ERRORS[422]})
User = Annotated[Actor, Depends(api_actor)]
SubjectId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The subject's id.")]
FormId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The form instance's id.")]


def create_api() -> FastAPI:
    """The API app (mounted at ``/api/v1`` by :func:`dermtrial.web.app.create_app`)."""
    api = FastAPI(
        title="dermtrial API",
        version=API_VERSION,
        summary="Subjects, visits and case report forms of a dermatology trial, scoped by role and site.",
        description=__doc__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        servers=[{"url": "/api/v1"}],
    )
    api.include_router(router)
    return api


def bounds_for(request: Request) -> dict[str, str]:
    """Field name → whole allowed range (``1–200``) of the numeric parameters and body fields of the request's route."""
    route = request.scope.get("route")
    out: dict[str, str] = {}
    if not isinstance(route, APIRoute):
        return out
    fields: list[tuple[str, FieldInfo]] = [
        (param.alias, param.field_info) for param in [*route.dependant.query_params, *route.dependant.path_params]
    ]
    body = route.body_field.field_info.annotation if route.body_field is not None else None
    if isinstance(body, type) and issubclass(body, BaseModel):
        fields.extend(body.model_fields.items())
    for name, info in fields:
        low = high = None
        for rule in info.metadata:
            low = getattr(rule, "ge", low)
            high = getattr(rule, "le", high)
        if low is not None and high is not None:
            out[name] = f"{low}–{high}"
        elif low is not None:
            out[name] = f">= {low}"
        elif high is not None:
            out[name] = f"<= {high}"
    return out


def _etag(version: int) -> str:
    return f'"{version}"'


def _if_match(header: str | None, current: int) -> int:
    """The version an ``If-Match`` header names; 428 without one, 412 when it is not the current version."""
    if header is None:
        raise WebError(428, f'send the version you read as If-Match: "{current}"', field="If-Match")
    value = header.strip()
    if value == "*":
        return current
    if value.startswith("W/"):
        raise WebError(412, "If-Match needs a strong ETag (no W/)", field="If-Match")
    try:
        version = int(value.strip('"'))
    except ValueError:
        raise WebError(412, f'If-Match {value} is not a version ETag such as "{current}"', field="If-Match") from None
    if version != current:
        raise WebError(
            412, f"the record changed: you read version {version}, it is now {current}; read it again", field="If-Match"
        )
    return version


@router.get("/me", response_model=schemas.Me, summary="Who the token acts as")
def me(user: User) -> dict[str, Any]:
    """The user the bearer token acts as."""
    return {"id": user.user_id, "username": user.username, "full_name": user.full_name}


@router.get("/subjects", response_model=schemas.SubjectPage, summary="List subjects (paginated, site scoped)")
def subjects(
    request: Request,
    user: User,
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Subjects per page.")] = 50,
    site: Annotated[str | None, Query(max_length=32, description="Only this site's subjects.")] = None,
    status: Annotated[str | None, Query(description=f"Only this study status: {', '.join(SUBJECT_STATUSES)}.")] = None,
) -> dict[str, Any]:
    """The subjects at the sites the user may read, by screening number."""
    found = list_subjects(app_state(request).db, user, page=page, per_page=per_page, site_code=site, status=status)
    more = page * per_page < found.total
    query = request.url.include_query_params(page=page + 1, per_page=per_page)
    return {
        "items": [row.to_json() for row in found.items],
        "page": page,
        "per_page": per_page,
        "total": found.total,
        "next": f"{query.path}?{query.query}" if more else None,
    }


@router.get(
    "/subjects/{subject_id}",
    response_model=schemas.Subject,
    responses={404: schemas.ERRORS[404], 304: {"description": "Not modified (If-None-Match)"}},
    summary="One subject, with its version as ETag",
)
def subject(
    request: Request,
    response: Response,
    user: User,
    subject_id: SubjectId,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Any:
    """One subject; a subject of another site is 404."""
    row = get_subject(app_state(request).db, user, subject_id=subject_id)
    if if_none_match == _etag(row.version):
        return Response(status_code=304, headers={"ETag": _etag(row.version)})
    response.headers["ETag"] = _etag(row.version)
    return row.to_json()


@router.get(
    "/subjects/{subject_id}/visits",
    response_model=schemas.VisitList,
    responses={404: schemas.ERRORS[404]},
    summary="The visits of a subject, with their forms",
)
def visits(request: Request, user: User, subject_id: SubjectId) -> dict[str, Any]:
    """The subject's visits in schedule order, each with its saved forms."""
    rows = subject_visits(app_state(request).db, user, subject_id=subject_id)
    return {"items": [row.to_json() for row in rows]}


@router.get(
    "/subjects/{subject_id}/forms/{form_id}",
    response_model=schemas.Form,
    responses={404: schemas.ERRORS[404]},
    summary="One form instance, with its version as ETag",
)
def form(request: Request, response: Response, user: User, subject_id: SubjectId, form_id: FormId) -> Any:
    """A saved form of the subject."""
    row = get_form(app_state(request).db, user, subject_id=subject_id, form_id=form_id)
    response.headers["ETag"] = _etag(row.version)
    return row.to_json()


@router.post(
    "/subjects/{subject_id}/forms",
    response_model=schemas.Form,
    status_code=201,
    responses={404: schemas.ERRORS[404]},
    summary="Enter a form (first entry)",
)
def create_form(
    request: Request, response: Response, user: User, subject_id: SubjectId, body: schemas.FormCreate
) -> Any:
    """First entry of a form of the subject, checked against the protocol's form definition."""
    db = app_state(request).db
    get_subject(db, user, subject_id=subject_id)  # 404 for a subject the user may not read
    saved = save_form(
        db,
        user,
        subject_id=subject_id,
        form_code=body.form_code,
        item_values=body.item_values,
        visit_id=body.visit_id,
        status=body.status,
        now=utc_now(),
    )
    row = get_form(db, user, subject_id=subject_id, form_id=saved.form_id)
    response.headers["ETag"] = _etag(row.version)
    response.headers["Location"] = f"/api/v1/subjects/{subject_id}/forms/{saved.form_id}"
    return row.to_json()


@router.patch(
    "/subjects/{subject_id}/forms/{form_id}",
    response_model=schemas.Form,
    responses={
        404: schemas.ERRORS[404],
        412: schemas.error_example(
            412, "precondition-failed", "the record changed: you read version 1, it is now 2", field="If-Match"
        ),
        428: schemas.error_example(428, "precondition-required", 'send the version you read as If-Match: "2"'),
    },
    summary="Change a form (If-Match required)",
)
def change_form(
    request: Request,
    response: Response,
    user: User,
    subject_id: SubjectId,
    form_id: FormId,
    body: schemas.FormChange,
    if_match: Annotated[str | None, Header(description='The version read, e.g. "2".')] = None,
) -> Any:
    """Change a saved form; the version read goes in ``If-Match`` and a stale one is refused (412)."""
    db = app_state(request).db
    current = get_form(db, user, subject_id=subject_id, form_id=form_id)
    version = _if_match(if_match, current.version)
    try:
        save_form(
            db,
            user,
            subject_id=subject_id,
            form_code=current.form_code,
            item_values=body.item_values,
            form_id=form_id,
            expected_version=version,
            status=body.status,
            reason=body.reason,
            now=utc_now(),
        )
    except Conflict as exc:
        if exc.problems and exc.problems[0].path == ("version",):
            raise WebError(412, str(exc), field="If-Match") from exc
        raise
    row = get_form(db, user, subject_id=subject_id, form_id=form_id)
    response.headers["ETag"] = _etag(row.version)
    return row.to_json()
