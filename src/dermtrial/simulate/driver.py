"""Replay a generated cohort through the services: every subject from consent to the end of their study, with the
same use cases, permissions, rules and audit trail as a site entering the data by hand.

Per candidate: consent and screening number; eligibility evaluated on the generated screening record. A screen failure
gets its screening forms and labs (not attached to a visit, since visits are scheduled only at enrollment) and the
status ``screen-failed`` with the reason. An eligible candidate's evaluation is signed by the site investigator, the
subject enrolled and the visits scheduled; the screening visit gets its forms and labs; then, visit by visit in date
order: the visit, vital signs, weight, PASI (assessed by the investigator) and the other instruments, labs, the
infusion with its product unit, ointment tubes returned and dispensed; then adverse events with causality and, for
the serious one, the SAE report; end of treatment; follow-up, the end-of-study form and the final status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from dermtrial.protocol.model import Protocol
from dermtrial.services.accountability import dispense_tube, return_tube
from dermtrial.services.dosing import end_treatment
from dermtrial.services.enrollment import enroll_subject, evaluate_eligibility
from dermtrial.services.signatures import sign_record
from dermtrial.services.subjects import load_subject, screen_subject, set_study_status
from dermtrial.services.uow import unit_of_work
from dermtrial.services.visits import record_visit, schedule_visits
from dermtrial.simulate.model import SimSubject
from dermtrial.simulate.replay import Filled, Replay, adverse_events, infuse
from dermtrial.simulate.screening import FAILURE_CRITERIA
from dermtrial.simulate.setup import SIM_PASSWORD, SimStudy
from dermtrial.store.engine import Database

CONSENT_VERSION = "1.0"
FAILURE_TEXT = {
    "pasi_bsa_low": "PASI <= 10 and BSA <= 10 %",
    "sds_high": "Zung SDS index > 53",
    "calcium_out": "serum calcium outside 2.0-2.9 mmol/L",
    "alt_high": "ALT > 2 x ULN",
    "age_out": "age outside 18-65 years",
}
#: End-of-study status codes (the study_completion code list) for the simulated final statuses.
EOS_STATUS = {"completed": "COMPLETED", "withdrew-consent": "WITHDREW_CONSENT", "lost": "LOST_TO_FOLLOW_UP"}


def fill_subject(
    db: Database,
    protocol: Protocol,
    study: SimStudy,
    subject: SimSubject,
    clock: Callable[[], dt.datetime],
    filled: Filled,
) -> None:
    """Carry one generated subject through the services (see the module docstring)."""
    team = study.teams[subject.site.code]
    replay = Replay(db, protocol, team, clock)
    crc, pi = team.coordinator, team.investigator
    subject_id = screen_subject(
        db,
        crc,
        site_code=team.code,
        consent_version=CONSENT_VERSION,
        consent_signed_local=subject.consent_at.isoformat(timespec="minutes"),
        now=clock(),
        study_id=study.study_id,
    )
    filled.screened += 1
    evaluation, verdict = evaluate_eligibility(
        db,
        crc,
        subject_id=subject_id,
        record=subject.record,
        evaluated_local=subject.evaluated_on.isoformat(),
        now=clock(),
    )
    if not subject.eligible:
        replay.screening_forms(subject_id, subject, None)
        replay.forms(subject_id, subject.screening, None, subject.screening_weight_kg)
        replay.labs(subject_id, subject.screening_labs, None)
        filled.lab_results += len(subject.screening_labs)
        failure = subject.failure or "unknown"
        set_study_status(
            db,
            crc,
            subject_id=subject_id,
            status="screen-failed",
            reason=f"{FAILURE_CRITERIA.get(failure, '?')}: {FAILURE_TEXT.get(failure, failure)}",
            now=clock(),
        )
        filled.screen_failed += 1
        return
    if verdict != "eligible":
        raise RuntimeError(f"{subject.screening_number}: drawn eligible but evaluated {verdict}")
    sign_record(
        db,
        pi,
        entity_type="eligibility_evaluation",
        entity_id=evaluation,
        password=SIM_PASSWORD,
        meaning="approved",
        now=clock(),
    )
    assert subject.enrolled_on is not None
    enroll_subject(db, pi, subject_id=subject_id, enrolled_local=subject.enrolled_on.isoformat(), now=clock())
    filled.enrolled += 1
    with unit_of_work(db, actor=crc, now=clock()) as work:
        visit_ids = dict(
            zip(
                (v.id for v in protocol.visits),
                schedule_visits(work, load_subject(work, subject_id, "form.write")),
                strict=True,
            )
        )
    _course(replay, subject_id, subject, visit_ids, filled)


def _course(replay: Replay, subject_id: int, subject: SimSubject, visit_ids: dict[str, int], filled: Filled) -> None:
    db, crc, pi, clock, protocol = replay.db, replay.crc, replay.pi, replay.clock, replay.protocol
    screening = subject.screening
    record_visit(
        db, crc, subject_id=subject_id, visit_code=screening.visit, visit_local=screening.date.isoformat(), now=clock()
    )
    replay.screening_forms(subject_id, subject, visit_ids[screening.visit])
    replay.forms(subject_id, screening, visit_ids[screening.visit], subject.screening_weight_kg)
    replay.labs(subject_id, subject.screening_labs, visit_ids[screening.visit])
    filled.lab_results += len(subject.screening_labs)
    by_visit = {a.visit: a for a in subject.assessments}
    infusions = {i.visit: i for i in subject.infusions}
    kinds = {v.id: v.kind for v in protocol.visits}
    followed = False
    for visit in subject.visits:
        if visit.date is None:
            continue
        if kinds[visit.code] == "follow_up" and not followed:
            _end_treatment(replay, subject_id, subject)
            set_study_status(
                db, pi, subject_id=subject_id, status="follow-up", reason="treatment completed; followed", now=clock()
            )
            followed = True
        record_visit(
            db, crc, subject_id=subject_id, visit_code=visit.code, visit_local=visit.date.isoformat(), now=clock()
        )
        filled.visits += 1
        replay.visit_forms(subject_id, subject, visit.code, visit.date, visit_ids[visit.code])
        replay.forms(subject_id, by_visit[visit.code], visit_ids[visit.code], visit.weight_kg)
        draws = [lab for lab in subject.labs if lab.visit == visit.code]
        replay.labs(subject_id, draws, visit_ids[visit.code])
        filled.lab_results += len(draws)
        if visit.code in infusions:
            infuse(replay, subject_id, infusions[visit.code])
            filled.infusions += 1
        for tube in subject.tubes:
            if tube.returned == visit.date and tube.returned_g is not None:
                return_tube(
                    db,
                    crc,
                    subject_id=subject_id,
                    tube_id=tube.tube_id,
                    weight_g=tube.returned_g,
                    returned_local=visit.date.isoformat(),
                    now=clock(),
                )
            if tube.dispensed == visit.date:
                dispense_tube(
                    db,
                    crc,
                    subject_id=subject_id,
                    tube_id=tube.tube_id,
                    lot="CAL-SIM-01",
                    expiry=visit.date + dt.timedelta(days=365),
                    weight_g=tube.dispensed_g,
                    dispensed_local=visit.date.isoformat(),
                    now=clock(),
                )
    adverse_events(replay, subject_id, subject, filled)
    if not followed:
        _end_treatment(replay, subject_id, subject)
        if subject.study_end and subject.study_end[0] != "withdrew-consent":
            set_study_status(
                db, pi, subject_id=subject_id, status="follow-up", reason="treatment completed; followed", now=clock()
            )
    if subject.study_end is not None:
        status, reason = subject.study_end
        _end_of_study(replay, subject_id, subject, visit_ids)
        set_study_status(db, pi, subject_id=subject_id, status=status, reason=reason, now=clock())


def _end_of_study(replay: Replay, subject_id: int, subject: SimSubject, visit_ids: dict[str, int]) -> None:
    """The EOS form, on the follow-up visit when it took place."""
    assert subject.study_end is not None
    status, reason = subject.study_end
    attended = [v for v in subject.visits if v.date is not None]
    last = attended[-1]
    values = {"EOSDAT": (last.date or subject.screening_date).isoformat(), "EOSSTAT": EOS_STATUS[status]}
    if status != "completed":
        values["EOSREAS"] = reason
    kinds = {v.id: v.kind for v in replay.protocol.visits}
    visit_id = visit_ids[last.code] if kinds[last.code] == "follow_up" else None
    replay.save(subject_id, "EOS", values, visit_id)


def _end_treatment(replay: Replay, subject_id: int, subject: SimSubject) -> None:
    assert subject.last_treatment is not None
    discontinued = subject.treatment_end == "discontinued"
    end_treatment(
        replay.db,
        replay.pi,
        subject_id=subject_id,
        status="discontinued" if discontinued else "completed",
        last_treatment_local=subject.last_treatment.isoformat(),
        now=replay.clock(),
        reason=(subject.study_end or ("", "withdrew consent"))[1] if discontinued else None,
    )
