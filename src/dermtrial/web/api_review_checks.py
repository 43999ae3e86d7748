"""``/api/v1`` for review, part two: source data verification of a form, the audit history of a record, signatures,
locks, and the primary endpoint of the latest study report. Included by :mod:`dermtrial.web.api_review`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from dermtrial.services import locks, review_reads, sdv, signatures
from dermtrial.services.errors import NotFound
from dermtrial.services.records import STUDY_RECORDS
from dermtrial.store import utc_now
from dermtrial.web import schemas, schemas_review
from dermtrial.web.api import FormId, SubjectId, User
from dermtrial.web.context import app_state
from dermtrial.web.errors import WebError

router = APIRouter(responses={401: schemas.ERRORS[401], 403: schemas.ERRORS[403], 422: schemas.ERRORS[422]})
EntityId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The record's id.")]
ENDPOINTS_FILE = "endpoints.json"


def _utc_text(value: dt.datetime) -> str:
    value = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return f"{value.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}"


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


__all__ = ["report_file", "router"]
