"""``/api/v1`` for the conduct screens: screening, eligibility, enrollment, a visit's expected forms, form drafts and
the live PASI score.

Every endpoint calls one service; permissions and site scoping are the services' (404 for another site's subject,
403 for an action the role lacks). The endpoints the pages' JavaScript calls (the PASI score, drafts) also take the
page's session cookie; a change made with the cookie needs the page's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict

from dermtrial.services.access import Actor
from dermtrial.services.accountability import dispense_tube, return_tube
from dermtrial.services.conduct_views import schedule_subject_visits, screening, visit_forms
from dermtrial.services.dosing import record_infusion
from dermtrial.services.eligibility_record import eligibility_record_from_forms
from dermtrial.services.enrollment import enroll_subject, evaluate_eligibility
from dermtrial.services.forms import save_form
from dermtrial.services.infusion_preview import preview_dose
from dermtrial.services.lab_preview import preview_lab_grade
from dermtrial.services.overview import get_form, get_subject
from dermtrial.services.safety_labs import record_lab_result
from dermtrial.services.sessions import check_session
from dermtrial.services.subjects import screen_subject
from dermtrial.services.visits import record_visit
from dermtrial.store import utc_now
from dermtrial.web import schemas_conduct as sc
from dermtrial.web import schemas_treatment as st
from dermtrial.web.api import SubjectId
from dermtrial.web.context import app_state
from dermtrial.web.errors import WebError
from dermtrial.web.infusion_input import infusion_from_fields
from dermtrial.web.instrument_entry import LIVE, score_entry
from dermtrial.web.schemas import ERRORS
from dermtrial.web.scoring import score_pasi_entry
from dermtrial.web.security import SESSION_COOKIE, api_actor, csrf_token

router = APIRouter(tags=["conduct"], responses={401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404], 422: ERRORS[422]})
VisitId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The visit's id.")]
CSRF_HEADER = "x-csrf-token"
DRAFT_REASON = "data entry in progress (draft saved)"


def browser_or_token(request: Request) -> Actor:
    """The bearer token's user or, without one, the page session's (a change then needs ``X-CSRF-Token``)."""
    if request.headers.get("authorization"):
        return api_actor(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return api_actor(request)  # 401 naming the header
    state = app_state(request)
    opened = check_session(state.db, token=token, now=utc_now(), idle=state.idle)
    if request.method not in {"GET", "HEAD"}:
        given = request.headers.get(CSRF_HEADER, "")
        if not given or not hmac.compare_digest(given, csrf_token(request)):
            raise WebError(
                403, "the request has no valid X-CSRF-Token; reload the page", code="csrf", field="X-CSRF-Token"
            )
    return opened.actor


User = Annotated[Actor, Depends(api_actor)]
Browser = Annotated[Actor, Depends(browser_or_token)]


@router.post("/screening", response_model=sc.ScreenedSubject, status_code=201, summary="Screen a candidate")
def create_candidate(request: Request, response: Response, user: User, body: sc.ScreenCreate) -> dict[str, Any]:
    """Consent a candidate and give them the site's next screening number; their visits are planned."""
    db = app_state(request).db
    now = utc_now()
    subject_id = screen_subject(
        db,
        user,
        site_code=body.site,
        consent_version=body.consent_version,
        consent_signed_local=body.consent_signed_local,
        now=now,
    )
    schedule_subject_visits(db, user, subject_id=subject_id, now=now)
    row = get_subject(db, user, subject_id=subject_id)
    response.headers["Location"] = f"/api/v1/subjects/{subject_id}"
    return row.to_json()


@router.get("/subjects/{subject_id}/eligibility", response_model=sc.EligibilityAnswer, summary="Eligibility checklist")
def eligibility(request: Request, user: User, subject_id: SubjectId) -> dict[str, Any]:
    """The latest stored evaluation with each criterion's result and evidence (null before the first)."""
    found = screening(app_state(request).db, user, subject_id=subject_id)
    return {"evaluation": found.evaluation.to_json() if found.evaluation else None}


class EligibilityRecordAnswer(BaseModel):
    """The screening record built from the screening visit's forms, and where each input's value came from."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "record": {
                        "candidate": "GZ01-S001",
                        "consent_date": "2019-07-10",
                        "assessments": {"bsa_percent": 12},
                        "labs": [{"test": "CA", "value": 2.31, "unit": "mmol/L", "lln": 2.1, "uln": 2.6}],
                        "facts": {"consent_signed": True},
                    },
                    "sources": {
                        "bsa": "BSA form 12: bsa_percent",
                        "calcium": "lab result 7 (2.31 mmol/L, 2019-07-12)",
                        "pasi": "not entered",
                    },
                }
            ]
        }
    )

    record: dict[str, Any]
    """The record, in the shape ``POST /subjects/{id}/eligibility`` takes; an input not entered is left out."""
    sources: dict[str, str]
    """Eligibility input name → where its value came from, or ``not entered``."""


@router.get(
    "/subjects/{subject_id}/eligibility-record",
    response_model=EligibilityRecordAnswer,
    summary="Screening record from the forms",
)
def eligibility_record(request: Request, user: User, subject_id: SubjectId) -> dict[str, Any]:
    """The screening record built from what was entered at the screening visit (nothing stored)."""
    record, sources = eligibility_record_from_forms(app_state(request).db, user, subject_id)
    return {"record": record, "sources": sources}


@router.post(
    "/subjects/{subject_id}/eligibility",
    response_model=sc.EligibilityAnswer,
    status_code=201,
    summary="Evaluate eligibility",
)
def evaluate(request: Request, user: User, subject_id: SubjectId, body: sc.EvaluationCreate) -> dict[str, Any]:
    """Run the eligibility engine on the screening record and store the verdict with every criterion."""
    db = app_state(request).db
    get_subject(db, user, subject_id=subject_id)  # 404 for a subject the user may not read
    evaluate_eligibility(
        db, user, subject_id=subject_id, record=body.record, evaluated_local=body.evaluated_local, now=utc_now()
    )
    found = screening(db, user, subject_id=subject_id)
    return {"evaluation": found.evaluation.to_json() if found.evaluation else None}


@router.post(
    "/subjects/{subject_id}/enrollment",
    response_model=sc.EnrolledSubject,
    summary="Enroll (eligible and signed evaluation)",
)
def enroll(request: Request, user: User, subject_id: SubjectId, body: sc.EnrollmentCreate) -> dict[str, Any]:
    """Enroll the subject; refused (422, field ``eligibility``) without a signed eligible evaluation."""
    db = app_state(request).db
    get_subject(db, user, subject_id=subject_id)  # 404 for a subject the user may not read
    now = utc_now()
    number = enroll_subject(db, user, subject_id=subject_id, enrolled_local=body.enrolled_local, now=now)
    schedule_subject_visits(db, user, subject_id=subject_id, now=now)
    return get_subject(db, user, subject_id=subject_id).to_json() | {"subject_number": number}


@router.get(
    "/subjects/{subject_id}/visits/{visit_id}/forms",
    response_model=sc.VisitForms,
    summary="The forms the protocol assigns to a visit, with their status",
)
def expected_forms(request: Request, user: Browser, subject_id: SubjectId, visit_id: VisitId) -> dict[str, Any]:
    """The visit and each form its protocol visit lists: not started, or the saved form's status and version."""
    return visit_forms(app_state(request).db, user, subject_id=subject_id, visit_id=visit_id).to_json()


@router.post(
    "/subjects/{subject_id}/visits/{visit_id}/occurrence",
    response_model=sc.VisitRecorded,
    summary="Record that a visit took place",
)
def record(request: Request, user: User, subject_id: SubjectId, visit_id: VisitId, body: sc.VisitRecord) -> Any:
    """Record the visit's date; outside its window it is recorded as it happened and a deviation is raised."""
    db = app_state(request).db
    found = visit_forms(db, user, subject_id=subject_id, visit_id=visit_id)
    _, window = record_visit(
        db, user, subject_id=subject_id, visit_code=found.visit_code, visit_local=body.visit_local, now=utc_now()
    )
    return {"window": window, "visit": visit_forms(db, user, subject_id=subject_id, visit_id=visit_id).to_json()}


@router.put(
    "/subjects/{subject_id}/visits/{visit_id}/drafts/{form_code}",
    response_model=sc.DraftSaved,
    summary="Save a draft of a visit's form (autosave)",
)
def save_draft(
    request: Request,
    user: Browser,
    subject_id: SubjectId,
    visit_id: VisitId,
    form_code: Annotated[str, Path(min_length=1, max_length=32)],
    body: sc.DraftSave,
) -> dict[str, Any]:
    """Save the values entered so far as ``in-progress`` (checked like any save); ``version`` is the one read
    (null for the first save). A form already complete is not overwritten by a draft (409)."""
    db = app_state(request).db
    found = visit_forms(db, user, subject_id=subject_id, visit_id=visit_id)
    expected = next((f for f in found.forms if f.code == form_code), None)
    if expected is None:
        allowed = ", ".join(f.code for f in found.forms)
        raise WebError(404, f"form {form_code} is not expected at {found.visit_code} ({allowed})", field="form_code")
    values = {k: v for k, v in body.item_values.items() if v not in ("", None)}
    if expected.saved is None:
        saved = save_form(
            db,
            user,
            subject_id=subject_id,
            form_code=form_code,
            item_values=values,
            visit_id=visit_id,
            status="in-progress",
            now=utc_now(),
        )
    else:
        if expected.saved.status != "in-progress":
            raise WebError(409, f"the form is {expected.saved.status}; change it with a reason", field="status")
        if body.version != expected.saved.version:
            raise WebError(
                412,
                f"the form changed: you read version {body.version}, it is now {expected.saved.version}; reload it",
                field="version",
            )
        saved = save_form(
            db,
            user,
            subject_id=subject_id,
            form_code=form_code,
            item_values=values,
            form_id=expected.saved.form_id,
            expected_version=body.version,
            status="in-progress",
            reason=DRAFT_REASON,
            now=utc_now(),
        )
    row = get_form(db, user, subject_id=subject_id, form_id=saved.form_id)
    return {"form_id": row.form_id, "version": row.version, "status": row.status}


@router.post("/scores/pasi", response_model=sc.PasiScore, summary="Score a PASI entry (live, as items are entered)")
def pasi_score(user: Browser, body: sc.PasiEntry) -> dict[str, Any]:
    """The PASI of the items entered so far (items not yet entered count 0 and are listed in ``missing``), the
    region subscores and the inconsistencies of the regions entered fully; scored by dermtrial.instruments.pasi."""
    del user  # signed in is enough: nothing is read or stored
    return score_pasi_entry(body.item_values)


@router.post(
    "/scores/{instrument}",
    response_model=sc.InstrumentScore,
    summary="Score a BSA, sPGA, DLQI or itch entry (live, as items are entered)",
)
def instrument_score(
    user: Browser, instrument: Annotated[str, Path(max_length=32)], body: sc.InstrumentEntry
) -> dict[str, Any]:
    """The instrument's value for the items entered so far (dermtrial.instruments scores them; nothing stored), or
    why there is none yet; a value the instrument refuses is 422 naming the item. PASI: ``/scores/pasi``."""
    del user  # signed in is enough: nothing is read or stored
    if instrument not in LIVE:
        raise WebError(404, f"no live score for {instrument}: one of pasi, {', '.join(LIVE)}", field="instrument")
    return score_entry(instrument, body.item_values)


@router.post(
    "/subjects/{subject_id}/labs/grade",
    response_model=st.LabGradePreview,
    summary="The CTCAE grade a lab result would get (live, nothing stored)",
)
def lab_grade(request: Request, user: Browser, subject_id: SubjectId, body: st.LabEntry) -> dict[str, Any]:
    """Graded by the safety core with the site's reference range, the baseline and (calcium) the day's albumin."""
    return preview_lab_grade(
        app_state(request).db,
        user,
        subject_id=subject_id,
        test_code=body.test_code,
        value=body.value,
        unit=body.unit,
        collected_local=body.collected_local,
    ).to_json()


@router.post("/subjects/{subject_id}/labs", response_model=st.LabSaved, status_code=201, summary="Record a lab result")
def lab_record(request: Request, user: User, subject_id: SubjectId, body: st.LabEntry) -> dict[str, Any]:
    """Store the result with its SI value, reference range and CTCAE grade; alerts are returned."""
    db = app_state(request).db
    get_subject(db, user, subject_id=subject_id)  # 404 for a subject the user may not read
    saved = record_lab_result(
        db,
        user,
        subject_id=subject_id,
        test_code=body.test_code,
        value=body.value,
        unit=body.unit,
        collected_local=body.collected_local,
        visit_id=body.visit_id,
        now=utc_now(),
    )
    return {"id": saved.id, "grade": saved.grade, "alerts": [a.message for a in saved.alerts]}


@router.post("/subjects/{subject_id}/dose", response_model=st.DoseAnswer, summary="The dose for a body weight (live)")
def dose(request: Request, user: Browser, subject_id: SubjectId, body: st.DoseQuery) -> dict[str, Any]:
    """The dose the protocol prescribes for the weight measured at the visit, as recording the infusion computes it,
    and whether the dose given is within the tolerance; nothing is stored."""
    found = preview_dose(
        app_state(request).db, user, subject_id=subject_id, weight_kg=body.weight_kg, dose_given=body.dose_given
    )
    return found.to_json()


@router.post(
    "/subjects/{subject_id}/infusions", response_model=st.InfusionSaved, status_code=201, summary="Record an infusion"
)
def infusion(request: Request, user: User, subject_id: SubjectId, body: st.InfusionCreate) -> dict[str, Any]:
    """Record the infusion: the service computes the dose from the weight, checks the tolerance and the chain of
    custody, and raises the deviations."""
    db = app_state(request).db
    get_subject(db, user, subject_id=subject_id)  # 404 for a subject the user may not read
    fields = {k: str(v) for k, v in body.unit.model_dump(exclude={"identity_checked_by"}).items() if v is not None}
    fields |= {name: str(getattr(body, name)) for name in ("weight_kg", "dose_given", "started_local", "ended_local")}
    fields |= {"identity_checked_by": ", ".join(body.unit.identity_checked_by), "reactions": "\n".join(body.reactions)}
    saved = record_infusion(
        db, user, subject_id=subject_id, infusion=infusion_from_fields(body.visit_code, fields), now=utc_now()
    )
    return {
        "exposure_id": saved.exposure_id,
        "computed_dose": format(saved.computed_dose, "f"),
        "within_tolerance": saved.within_tolerance,
        "problems": saved.problems,
    }


@router.post("/subjects/{subject_id}/tubes", response_model=st.TubeAnswer, status_code=201, summary="Dispense a tube")
def tube_dispense(request: Request, user: User, subject_id: SubjectId, body: st.TubeDispense) -> dict[str, Any]:
    """Dispense one weighed tube of ointment (lot, expiry, weight)."""
    db = app_state(request).db
    get_subject(db, user, subject_id=subject_id)  # 404 for a subject the user may not read
    exposure = dispense_tube(
        db,
        user,
        subject_id=subject_id,
        tube_id=body.tube_id,
        lot=body.lot,
        expiry=body.expiry,
        weight_g=body.weight_g,
        dispensed_local=body.dispensed_local,
        now=utc_now(),
    )
    return {"exposure_id": exposure}


@router.post("/subjects/{subject_id}/tubes/{tube_id}/return", response_model=st.TubeAnswer, summary="Return a tube")
def tube_return(
    request: Request,
    user: User,
    subject_id: SubjectId,
    tube_id: Annotated[str, Path(max_length=64)],
    body: st.TubeReturn,
) -> dict[str, Any]:
    """Weigh a returned tube: the average g/week since dispensing, and a safety alert above the label limit."""
    db = app_state(request).db
    get_subject(db, user, subject_id=subject_id)
    back = return_tube(
        db,
        user,
        subject_id=subject_id,
        tube_id=tube_id,
        weight_g=body.weight_g,
        returned_local=body.returned_local,
        now=utc_now(),
    )
    use = back.use
    return {
        "exposure_id": back.exposure_id,
        "grams_per_week": None if use.grams_per_week is None else str(use.grams_per_week),
        "above_limit": use.above_limit,
        "not_computable": use.reason,
    }
