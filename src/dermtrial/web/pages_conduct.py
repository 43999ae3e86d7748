"""The coordinator's conduct screens: screening (candidate, eligibility checklist, attestation and signature,
enrollment), a visit's forms, and every protocol form (the PASI by region with its live score).

Each handler calls the services (:mod:`dermtrial.services.subjects`, ``enrollment``, ``signatures``, ``forms``,
``conduct_views``); a refusal is shown on the same page in the one error shape, with the field named. Forms work
with a plain POST; ``static/forms.js`` and ``static/pasi.js`` only add the autosave and the live score.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dermtrial.errors import DermtrialError
from dermtrial.instruments import INSTRUMENTS
from dermtrial.services import review_reads
from dermtrial.services.analysis_data import VALUE_KEYS
from dermtrial.services.conduct_views import FormPage, form_page, schedule_subject_visits, screening, visit_forms
from dermtrial.services.eligibility_record import eligibility_record_from_forms
from dermtrial.services.enrollment import enroll_subject, evaluate_eligibility
from dermtrial.services.forms import save_form
from dermtrial.services.matrix import subject_matrix
from dermtrial.services.overview import get_subject, list_subjects, subject_visits
from dermtrial.services.sessions import OpenSession
from dermtrial.services.signatures import MEANINGS, sign_record
from dermtrial.services.subjects import screen_subject
from dermtrial.services.visits import record_visit
from dermtrial.store import utc_now
from dermtrial.web.conduct_common import error_of, render_page
from dermtrial.web.context import app_state
from dermtrial.web.form_values import form_values
from dermtrial.web.instrument_entry import LIVE, instrument_fields
from dermtrial.web.licensed import licensed_text
from dermtrial.web.pages import CSRF, PageSession
from dermtrial.web.pages_infusion import router as infusion_router
from dermtrial.web.pages_labs import router as labs_router
from dermtrial.web.pages_ointment import router as ointment_router
from dermtrial.web.scoring import REGIONS, SIGNS

router = APIRouter(include_in_schema=False)
router.include_router(labs_router)
router.include_router(infusion_router)
router.include_router(ointment_router)


@router.get("/screening")
def screening_list(request: Request, session: PageSession) -> HTMLResponse:
    """Every subject the user may read, with links to the checklist and visits, and the new-candidate form."""
    db = app_state(request).db
    found = list_subjects(db, session.actor, page=1, per_page=200)
    sites = subject_matrix(db, session.actor, now=utc_now()).sites
    context = {"subjects": found, "sites": sites, "error": None, "given": {}}
    return render_page(request, "screening_list.html", context, session=session)


@router.post("/screening", dependencies=CSRF)
def screening_create(
    request: Request,
    session: PageSession,
    site: Annotated[str, Form(max_length=32)],
    consent_version: Annotated[str, Form(max_length=32)],
    consent_signed_local: Annotated[str, Form(max_length=32)],
) -> Response:
    """Consent a candidate (next screening number at the site), plan their visits, open their checklist."""
    db = app_state(request).db
    now = utc_now()
    try:
        subject_id = screen_subject(
            db,
            session.actor,
            site_code=site,
            consent_version=consent_version,
            consent_signed_local=consent_signed_local,
            now=now,
        )
    except DermtrialError as exc:
        error, status = error_of(exc)
        found = list_subjects(db, session.actor, page=1, per_page=200)
        sites = subject_matrix(db, session.actor, now=now).sites
        given = {"site": site, "consent_version": consent_version, "consent_signed_local": consent_signed_local}
        context = {"subjects": found, "sites": sites, "error": error, "given": given}
        return render_page(request, "screening_list.html", context, session=session, status=status)
    schedule_subject_visits(db, session.actor, subject_id=subject_id, now=now)
    return RedirectResponse(f"/screening/{subject_id}", status_code=303)


def _screening_page(
    request: Request,
    session: PageSession,
    subject_id: int,
    *,
    error: dict[str, Any] | None = None,
    status: int = 200,
    record_text: str | None = None,
    notice: str | None = None,
    fill: bool = False,
) -> HTMLResponse:
    db = app_state(request).db
    found = screening(db, session.actor, subject_id=subject_id)
    visits = subject_visits(db, session.actor, subject_id=subject_id)
    sources: dict[str, str] | None = None
    if fill:
        filled, sources = eligibility_record_from_forms(db, session.actor, subject_id)
        record_text = json.dumps(filled, indent=2, ensure_ascii=False)
    if record_text is None:
        record_text = json.dumps(found.template, indent=2, ensure_ascii=False)
    context = {
        "sources": sources,
        "s": found,
        "visits": visits,
        "error": error,
        "record_text": record_text,
        "meanings": MEANINGS,
        "notice": notice,
    }
    return render_page(request, "screening.html", context, session=session, status=status)


@router.get("/screening/{subject_id}")
def screening_page(request: Request, session: PageSession, subject_id: int, fill: str | None = None) -> HTMLResponse:
    """The eligibility checklist: each criterion's result and evidence, the signature and enrollment.

    ``?fill=forms`` prefills the screening record from the screening visit's forms (with each input's source) instead
    of the protocol's template.
    """
    return _screening_page(request, session, subject_id, fill=fill == "forms")


@router.post("/screening/{subject_id}/evaluate", dependencies=CSRF)
def screening_evaluate(
    request: Request,
    session: PageSession,
    subject_id: int,
    record: Annotated[str, Form(max_length=100_000)],
    evaluated_local: Annotated[str, Form(max_length=32)],
) -> Response:
    """Run the eligibility engine on the screening record entered and store the verdict."""
    try:
        data = json.loads(record)
    except ValueError as exc:
        error = {
            "status": 422,
            "code": "invalid-input",
            "field": "record",
            "value": record[:80],
            "message": f"record: not JSON ({exc})",
            "allowed": "a JSON object (docs/eligibility.md)",
        }
        return _screening_page(request, session, subject_id, error=error, status=422, record_text=record)
    get_subject(app_state(request).db, session.actor, subject_id=subject_id)  # 404: another site's subject
    try:
        evaluate_eligibility(
            app_state(request).db,
            session.actor,
            subject_id=subject_id,
            record=data,
            evaluated_local=evaluated_local,
            now=utc_now(),
        )
    except DermtrialError as exc:
        error, status = error_of(exc)
        return _screening_page(request, session, subject_id, error=error, status=status, record_text=record)
    return RedirectResponse(f"/screening/{subject_id}#checklist", status_code=303)


@router.post("/screening/{subject_id}/sign", dependencies=CSRF)
def screening_sign(
    request: Request,
    session: PageSession,
    subject_id: int,
    evaluation_id: Annotated[int, Form(ge=1)],
    password: Annotated[str, Form(max_length=256)],
    meaning: Annotated[str, Form(max_length=32)] = "approved",
    attest: Annotated[str | None, Form()] = None,
) -> Response:
    """The investigator's attestation and signature of the evaluation (password re-entered)."""
    if attest != "yes":
        error = {
            "status": 422,
            "code": "invalid-input",
            "field": "attest",
            "value": None,
            "message": "attest: tick the attestation before signing",
            "allowed": "ticked",
        }
        return _screening_page(request, session, subject_id, error=error, status=422)
    try:
        sign_record(
            app_state(request).db,
            session.actor,
            entity_type="eligibility_evaluation",
            entity_id=evaluation_id,
            password=password,
            meaning=meaning,
            now=utc_now(),
        )
    except DermtrialError as exc:
        error, status = error_of(exc)
        return _screening_page(request, session, subject_id, error=error, status=status)
    return RedirectResponse(f"/screening/{subject_id}#enroll", status_code=303)


@router.post("/screening/{subject_id}/enroll", dependencies=CSRF)
def screening_enroll(
    request: Request, session: PageSession, subject_id: int, enrolled_local: Annotated[str, Form(max_length=32)]
) -> Response:
    """Enroll through the enrollment gates (eligible, signed, study not full); refusals shown with the field."""
    db = app_state(request).db
    now = utc_now()
    get_subject(db, session.actor, subject_id=subject_id)  # 404: another site's subject
    try:
        number = enroll_subject(db, session.actor, subject_id=subject_id, enrolled_local=enrolled_local, now=now)
    except DermtrialError as exc:
        error, status = error_of(exc)
        return _screening_page(request, session, subject_id, error=error, status=status)
    schedule_subject_visits(db, session.actor, subject_id=subject_id, now=now)
    return _screening_page(request, session, subject_id, notice=number)


@router.get("/subjects/{subject_id}/visits/{visit_id}")
def visit_page(request: Request, session: PageSession, subject_id: int, visit_id: int) -> HTMLResponse:
    """The forms the protocol assigns to the visit, with their status and a link to each."""
    found = visit_forms(app_state(request).db, session.actor, subject_id=subject_id, visit_id=visit_id)
    return render_page(request, "visit.html", {"v": found, "error": None, "window": None}, session=session)


@router.post("/subjects/{subject_id}/visits/{visit_id}/record", dependencies=CSRF)
def visit_record(
    request: Request,
    session: PageSession,
    subject_id: int,
    visit_id: int,
    visit_local: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    """Record that the visit took place (``record_visit``: the window is checked, a deviation raised outside it)."""
    db = app_state(request).db
    found = visit_forms(db, session.actor, subject_id=subject_id, visit_id=visit_id)
    try:
        _, window = record_visit(
            db,
            session.actor,
            subject_id=subject_id,
            visit_code=found.visit_code,
            visit_local=visit_local,
            now=utc_now(),
        )
    except DermtrialError as exc:
        error, status = error_of(exc)
        return render_page(
            request, "visit.html", {"v": found, "error": error, "window": None}, session=session, status=status
        )
    found = visit_forms(db, session.actor, subject_id=subject_id, visit_id=visit_id)
    return render_page(request, "visit.html", {"v": found, "error": None, "window": window}, session=session)


def _form_context(
    request: Request,
    session: PageSession,
    subject_id: int,
    visit_id: int,
    form_code: str,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    page = form_page(
        app_state(request).db, session.actor, subject_id=subject_id, visit_id=visit_id, form_code=form_code
    )
    shown = values if values is not None else (dict(page.saved.item_values) if page.saved else {})
    # The patient's view shows neutral question numbers or the site's licensed wording, never the metadata's
    # placeholder labels (they carry scoring hints such as "reverse-scored").
    instrument = page.form.instrument
    wording = licensed_text(app_state(request).settings.licensed_text_dir, instrument or "", session.language)
    questions = [
        (item.code, wording.items[item.code].text if wording else "")
        for item in (INSTRUMENTS[instrument].metadata.items if instrument else ())
    ]
    options = {code: dict(text.options) for code, text in wording.items.items()} if wording else {}
    live = instrument in LIVE
    return {
        "p": page,
        **_review_links(request, session, page),
        "questions": questions,
        "options": options,
        "instrument_fields": instrument_fields(instrument, session.language) if live and instrument else [],
        "value_key": VALUE_KEYS.get(instrument or ""),
        "values": shown,
        "errors": {},
        "error": None,
        "regions": REGIONS,
        "signs": SIGNS,
        "saved_notice": False,
    }


def _review_links(request: Request, session: PageSession, page: FormPage) -> dict[str, Any]:
    """What the links to the review pages need: whether the user may read the audit and raise queries here."""
    if page.saved is None:
        return {"may_audit": False, "raise_queries": False, "here": request.url.path}
    db, actor = app_state(request).db, session.actor
    site_id = review_reads.place_of(db, actor, entity_type="form_instance", entity_id=page.saved.form_id).site_id
    return {
        "may_audit": review_reads.may(db, actor, "audit.read", site_id),
        "raise_queries": review_reads.may(db, actor, "query.raise", site_id),
        "here": request.url.path,
    }


#: Instruments with their own screen; their answers are whole numbers sent as such.
SCREENS = {"pasi": "pasi.html", "zung-sas": "zung.html", "zung-sds": "zung.html"}


def _template(form_code: str, instrument: str | None) -> str:
    return SCREENS.get(instrument or "", "form.html")


@router.get("/subjects/{subject_id}/visits/{visit_id}/forms/{form_code}")
def form_screen(request: Request, session: PageSession, subject_id: int, visit_id: int, form_code: str) -> HTMLResponse:
    """One protocol form of the visit, rendered from its declarative definition (PASI: by region)."""
    context = _form_context(request, session, subject_id, visit_id, form_code)
    context["saved_notice"] = request.query_params.get("saved") == "1"
    return render_page(request, _template(form_code, context["p"].form.instrument), context, session=session)


@router.post("/subjects/{subject_id}/visits/{visit_id}/forms/{form_code}", dependencies=CSRF)
async def form_submit(
    request: Request, session: PageSession, subject_id: int, visit_id: int, form_code: str
) -> Response:
    """Save the form (draft or complete) through ``save_form``; errors are shown next to their fields, nothing lost."""
    raw = await request.form()  # the fields depend on the protocol's form (already parsed by the CSRF check)
    fields = [(key, value) for key, value in raw.multi_items() if isinstance(value, str)]
    return await run_in_threadpool(_save, request, session, subject_id, visit_id, form_code, fields)


def _save(
    request: Request, session: OpenSession, subject_id: int, visit_id: int, form_code: str, raw: list[tuple[str, str]]
) -> Response:
    db = app_state(request).db
    context = _form_context(request, session, subject_id, visit_id, form_code)
    page = context["p"]
    whole = [code for code, _ in context["questions"]] if page.form.instrument else None
    values, shown = form_values(page.form, raw, whole)
    control = dict(raw)
    status = "complete" if control.get("action") == "complete" else "in-progress"
    reason = control.get("reason", "").strip() or None
    try:
        if page.saved is None:
            save_form(
                db,
                session.actor,
                subject_id=subject_id,
                form_code=page.form.code,
                item_values=values,
                visit_id=visit_id,
                status=status,
                now=utc_now(),
            )
        else:
            if reason is None and page.saved.status == "in-progress":
                reason = "data entry in progress"
            changed = {k: v for k, v in values.items() if page.saved.item_values.get(k) != v}
            cleared = {k: None for k in page.saved.item_values if k not in values}
            save_form(
                db,
                session.actor,
                subject_id=subject_id,
                form_code=page.form.code,
                item_values=changed | cleared,
                form_id=page.saved.form_id,
                expected_version=int(control.get("version") or page.saved.version),
                status=status,
                reason=reason,
                now=utc_now(),
            )
    except DermtrialError as exc:
        error, code = error_of(exc)
        context.update(
            values=shown,
            error=error,
            errors={p["field"].removeprefix("item_values."): p for p in error.get("problems", [])},
        )
        return render_page(request, _template(form_code, page.form.instrument), context, session=session, status=code)
    return RedirectResponse(f"/subjects/{subject_id}/visits/{visit_id}/forms/{form_code}?saved=1", status_code=303)
