"""Safety and review pages, part two: a form's review page (source data verification per item and for the whole
form, its queries, a "raise query" control per item), the audit history of any record or item, signing a visit's
forms with the locks in force, and the study report (figures and downloads from the configured report folder).

Included by :mod:`dermtrial.web.pages_review`.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from dermtrial.errors import DermtrialError
from dermtrial.services import locks, queries, review_reads, sdv, signatures
from dermtrial.services.errors import AuthenticationFailed, Conflict
from dermtrial.services.overview import get_form, subject_visits
from dermtrial.services.study_report import write_study_report
from dermtrial.store import utc_now
from dermtrial.web.context import app_state
from dermtrial.web.errors import WebError, from_error
from dermtrial.web.pages import CSRF, PageSession, render

router = APIRouter(include_in_schema=False)
#: Files of the report folder the report page offers, with their media types.
REPORT_FILES = {
    "report.html": "text/html; charset=utf-8",
    "report.pdf": "application/pdf",
    "endpoints.json": "application/json",
}


def _error(exc: DermtrialError) -> tuple[dict[str, Any], int]:
    body = from_error(exc)
    return body.to_json()["error"], body.status


def _review_context(request: Request, session: PageSession, subject_id: int, form_id: int) -> dict[str, Any]:
    db, actor = app_state(request).db, session.actor
    form = get_form(db, actor, subject_id=subject_id, form_id=form_id)
    place = review_reads.place_of(db, actor, entity_type="form_instance", entity_id=form_id)
    protocol = review_reads.study_protocol_for(db, actor)
    items = review_reads.form_items(protocol, form.form_code)
    known = {code for code, _ in items}
    items += [(code, code) for code in form.item_values if code not in known]
    found = queries.list_queries(db, actor, now=utc_now(), subject_id=subject_id, study_id=place.study_id)
    return {
        "form": form,
        "items": items,
        "sdv": sdv.form_sdv(db, actor, form_id=form_id),
        "queries": [q for q in found if q.entity_type == "form_instance" and q.entity_id == form_id],
        "signatures": signatures.signatures_of(db, actor, entity_type="form_instance", entity_id=form_id),
        "locks": locks.locks_on(db, actor, entity_type="form_instance", entity_id=form_id),
        "may_verify": review_reads.may(db, actor, "sdv.set", place.site_id),
        "may_raise": review_reads.may(db, actor, "query.raise", place.site_id),
        "may_audit": review_reads.may(db, actor, "audit.read", place.site_id),
        "here": request.url.path,
        "error": None,
    }


@router.get("/subjects/{subject_id}/forms/{form_id}/review")
def form_review(request: Request, session: PageSession, subject_id: int, form_id: int) -> HTMLResponse:
    """A form's values with their SDV status, queries and signatures; verify, raise a query, open the history."""
    context = _review_context(request, session, subject_id, form_id)
    return render(request, "sdv_form.html", context, session=session)


@router.post("/subjects/{subject_id}/forms/{form_id}/sdv", dependencies=CSRF)
def form_verify(
    request: Request,
    session: PageSession,
    subject_id: int,
    form_id: int,
    status: Annotated[str, Form(max_length=16)],
    item: Annotated[str | None, Form(max_length=64)] = None,
    reason: Annotated[str | None, Form(max_length=4000)] = None,
) -> Response:
    """Mark the whole form (no item) or one item verified, or withdraw it with a reason (monitors)."""
    db = app_state(request).db
    get_form(db, session.actor, subject_id=subject_id, form_id=form_id)
    try:
        sdv.set_sdv(db, session.actor, form_id=form_id, status=status, item=item or None, reason=reason, now=utc_now())
    except DermtrialError as exc:
        context = _review_context(request, session, subject_id, form_id)
        context["error"], code = _error(exc)
        return render(request, "sdv_form.html", context, session=session, status=code)
    return RedirectResponse(f"/subjects/{subject_id}/forms/{form_id}/review", status_code=303)


@router.get("/audit/{entity_type}/{entity_id}")
def audit_page(
    request: Request,
    session: PageSession,
    entity_type: str,
    entity_id: int,
    item: Annotated[str | None, Query(max_length=64)] = None,
    back: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    """Every audited change of a record, or of one form item: who, when (UTC), old → new, why."""
    rows = review_reads.record_history(
        app_state(request).db, session.actor, entity_type=entity_type, entity_id=entity_id, item=item or None
    )
    back = back if back and back.startswith("/") and not back.startswith("//") else None
    context = {"rows": rows, "entity_type": entity_type, "entity_id": entity_id, "item": item, "back": back}
    return render(request, "audit.html", context, session=session)


def _sign_context(request: Request, session: PageSession, subject_id: int, visit_id: int) -> dict[str, Any]:
    db, actor = app_state(request).db, session.actor
    visit = next((v for v in subject_visits(db, actor, subject_id=subject_id) if v.visit_id == visit_id), None)
    if visit is None:
        raise WebError(404, f"no visit {visit_id} of subject {subject_id}", field="visit_id")
    place = review_reads.place_of(db, actor, entity_type="visit", entity_id=visit_id)
    forms = [
        (form, signatures.signatures_of(db, actor, entity_type="form_instance", entity_id=form.form_id))
        for form in visit.forms
    ]
    return {
        "subject_id": subject_id,
        "visit": visit,
        "forms": forms,
        "meanings": signatures.MEANINGS,
        "locks": locks.locks_on(db, actor, entity_type="visit", entity_id=visit_id),
        "may_sign": review_reads.may(db, actor, "form.sign", place.site_id),
        "may_lock": review_reads.may(db, actor, "lock.record", place.site_id),
        "error": None,
        "signed": request.query_params.get("signed"),
    }


@router.get("/subjects/{subject_id}/visits/{visit_id}/sign")
def sign_page(request: Request, session: PageSession, subject_id: int, visit_id: int) -> HTMLResponse:
    """The visit's forms with their signatures (valid or invalidated), the meaning to choose, the password."""
    return render(request, "sign.html", _sign_context(request, session, subject_id, visit_id), session=session)


@router.post("/subjects/{subject_id}/visits/{visit_id}/sign", dependencies=CSRF)
def sign_submit(
    request: Request,
    session: PageSession,
    subject_id: int,
    visit_id: int,
    meaning: Annotated[str, Form(max_length=16)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    """Sign every form of the visit not yet validly signed with this meaning by the user; stops at the first refusal."""
    db, actor = app_state(request).db, session.actor
    context = _sign_context(request, session, subject_id, visit_id)
    count = 0
    try:
        for form, existing in context["forms"]:
            if any(s.valid and s.meaning == meaning and s.username == actor.username for s in existing):
                continue
            signatures.sign_record(
                db, actor, entity_type="form_instance", entity_id=form.form_id, password=password, meaning=meaning,
                now=utc_now(),
            )  # fmt: skip
            count += 1
    except (AuthenticationFailed, Conflict, DermtrialError) as exc:
        context = _sign_context(request, session, subject_id, visit_id)
        context["error"], code = _error(exc)
        return render(request, "sign.html", context, session=session, status=code)
    return RedirectResponse(f"/subjects/{subject_id}/visits/{visit_id}/sign?signed={count}", status_code=303)


@router.post("/subjects/{subject_id}/visits/{visit_id}/lock", dependencies=CSRF)
def lock_submit(
    request: Request,
    session: PageSession,
    subject_id: int,
    visit_id: int,
    action: Annotated[str, Form(max_length=8)],
    reason: Annotated[str | None, Form(max_length=4000)] = None,
) -> Response:
    """Lock or unlock the visit (data managers; an unlock needs a reason)."""
    db, actor = app_state(request).db, session.actor
    context = _sign_context(request, session, subject_id, visit_id)
    try:
        if action == "unlock":
            locks.unlock_record(db, actor, level="visit", entity_id=visit_id, reason=reason or "", now=utc_now())
        else:
            locks.lock_record(db, actor, level="visit", entity_id=visit_id, reason=reason or None, now=utc_now())
    except DermtrialError as exc:
        context["error"], code = _error(exc)
        return render(request, "sign.html", context, session=session, status=code)
    return RedirectResponse(f"/subjects/{subject_id}/visits/{visit_id}/sign", status_code=303)


def _report_folder(request: Request) -> Path | None:
    folder = app_state(request).settings.report_dir
    return Path(folder) if folder else None


#: One report written at a time by this server (each run replaces the files in the folder).
_WRITING = threading.Lock()


def _report_context(request: Request, **extra: Any) -> dict[str, Any]:
    folder = _report_folder(request)
    endpoints: Any = None
    files: list[str] = []
    figures: list[str] = []
    if folder is not None and folder.is_dir():
        files = [name for name in REPORT_FILES if (folder / name).is_file()]
        figures = sorted(p.name for p in (folder / "figures").glob("*.png")) if (folder / "figures").is_dir() else []
        if "endpoints.json" in files:
            endpoints = json.loads((folder / "endpoints.json").read_text(encoding="utf-8"))
    context = {"folder": folder, "files": files, "figures": figures, "endpoints": endpoints, "error": None}
    return context | {"ran": request.query_params.get("ran") == "1"} | extra


@router.get("/report")
def report_page(request: Request, session: PageSession) -> HTMLResponse:
    """The latest study report: the primary endpoint, the figures and the downloads (readers of every site)."""
    review_reads.require_study_wide_read(app_state(request).db, session.actor)
    return render(request, "report.html", _report_context(request), session=session)


@router.post("/report/run", dependencies=CSRF)
def report_run(request: Request, session: PageSession) -> Response:
    """Write the report again from the live data, as the signed-in user (``services.study_report``, as the CLI does).

    No password is asked again: writing the report signs nothing and changes no study data; the session already
    says who asks, and the service checks their permission. The files are replaced only when all are written; a
    refusal is shown on the page.
    """
    state = app_state(request)
    review_reads.require_study_wide_read(state.db, session.actor)
    folder = _report_folder(request)
    if folder is None:
        raise WebError(404, "no report folder is configured (DERMTRIAL_REPORT_DIR)", field="report_dir")
    if not _WRITING.acquire(blocking=False):
        raise WebError(409, "a report is being written now; open the page again in a minute", field="report")
    try:
        write_study_report(state.db, session.actor, folder, now=utc_now())
    except DermtrialError as exc:
        error, status = _error(exc)
        return render(request, "report.html", _report_context(request, error=error), session=session, status=status)
    finally:
        _WRITING.release()
    return RedirectResponse("/report?ran=1", status_code=303)


@router.get("/report/files/{name}")
def report_download(request: Request, session: PageSession, name: str) -> FileResponse:
    """A file of the report: ``report.html``, ``report.pdf``, ``endpoints.json``."""
    review_reads.require_study_wide_read(app_state(request).db, session.actor)
    return _report_file(request, name, REPORT_FILES.get(name))


@router.get("/report/figures/{name}")
def report_figure(request: Request, session: PageSession, name: str) -> FileResponse:
    """A figure of the report (``figures/*.png``)."""
    review_reads.require_study_wide_read(app_state(request).db, session.actor)
    return _report_file(request, f"figures/{name}", "image/png" if name.endswith(".png") else None)


def _report_file(request: Request, name: str, media_type: str | None) -> FileResponse:
    folder = _report_folder(request)
    leaf = name.rsplit("/", 1)[-1]
    if folder is None or media_type is None or leaf.startswith(".") or "\\" in name or ".." in name:
        raise WebError(404, f"no report file {name}", field="name")
    path = folder / name
    if not path.is_file():
        raise WebError(404, f"no report file {name}: run dermtrial report --out {folder}", field="name")
    return FileResponse(path, media_type=media_type, filename=leaf)
