"""Replay a generated cohort through the services: every subject from consent to the end of their study, with the
same use cases, permissions, rules and audit trail as a site entering the data by hand.

Per candidate: consent and screening number; demographics; eligibility evaluated on the generated screening record.
A screen failure gets its screening forms and labs (not attached to a visit, since visits are scheduled only at
enrollment) and the status ``screen-failed`` with the reason. An eligible candidate's evaluation is signed by the
site investigator, the subject enrolled and the visits scheduled; then, visit by visit in date order: the visit,
weight, PASI (assessed by the investigator) and the other instruments, labs, the infusion with its product unit,
ointment tubes returned and dispensed; then adverse events with causality and, for the serious one, the SAE report;
end of treatment; follow-up and end of study.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dermtrial.conduct import ProductUnit
from dermtrial.protocol.model import Protocol
from dermtrial.services.accountability import dispense_tube, return_tube
from dermtrial.services.dosing import Infusion, end_treatment, record_infusion
from dermtrial.services.enrollment import enroll_subject, evaluate_eligibility
from dermtrial.services.forms import save_form
from dermtrial.services.safety_ae import AdverseEventInput, assess_causality, record_adverse_event
from dermtrial.services.safety_labs import record_lab_result
from dermtrial.services.safety_sae import report_sae
from dermtrial.services.signatures import sign_record
from dermtrial.services.subjects import load_subject, screen_subject, set_study_status
from dermtrial.services.uow import unit_of_work
from dermtrial.services.visits import record_assessor, record_visit, schedule_visits
from dermtrial.simulate import instruments as items
from dermtrial.simulate.model import Assessment, LabDraw, SimSubject
from dermtrial.simulate.screening import FAILURE_CRITERIA
from dermtrial.simulate.setup import SIM_PASSWORD, SimStudy, SiteTeam
from dermtrial.store.engine import Database

CONSENT_VERSION = "1.0"
FAILURE_TEXT = {
    "pasi_bsa_low": "PASI <= 10 and BSA <= 10 %",
    "sds_high": "Zung SDS index > 53",
    "calcium_out": "serum calcium outside 2.0-2.9 mmol/L",
    "alt_high": "ALT > 2 x ULN",
    "age_out": "age outside 18-65 years",
}


@dataclass
class Filled:
    """Counts of what one cohort put into the study."""

    screened: int = 0
    screen_failed: int = 0
    enrolled: int = 0
    visits: int = 0
    infusions: int = 0
    adverse_events: int = 0
    serious: int = 0
    lab_results: int = 0


class _Replay:
    def __init__(self, db: Database, protocol: Protocol, team: SiteTeam, clock: Callable[[], dt.datetime]) -> None:
        self.db, self.protocol, self.team, self.clock = db, protocol, team, clock
        self.crc, self.pi = team.coordinator, team.investigator

    def forms(self, subject_id: int, assessment: Assessment, visit_id: int | None, weight: Decimal | None) -> None:
        crc, db = self.crc, self.db
        entries: list[tuple[str, dict[str, Any], str]] = [
            ("PASI", items.form_values(assessment.pasi_items), "complete")
        ]
        if assessment.bsa is not None:
            entries.append(("BSA", {"percent": float(assessment.bsa)}, "complete"))
        if assessment.spga is not None:
            entries.append(("SPGA", {"spga": assessment.spga}, "complete"))
        if assessment.dlqi is not None:
            entries.append(("DLQI", items.dlqi_form_values(assessment.dlqi), "complete"))
        if assessment.itch is not None:
            entries.append(("ITCH", {"nrs": assessment.itch}, "complete"))
        for scale, answers in (("sas", assessment.sas), ("sds", assessment.sds)):
            if answers is not None:
                entries.append((scale.upper(), items.zung_form_values(scale, answers), _ZUNG_STATUS))
        if weight is not None:
            entries.append(("WT", {"WTDAT": assessment.date.isoformat(), "WEIGHT": str(weight)}, "complete"))
        for code, values, status in entries:
            saved = save_form(
                db,
                crc,
                subject_id=subject_id,
                form_code=code,
                item_values=values,
                now=self.clock(),
                status=status,
                visit_id=visit_id,
            )
            if code == "PASI":
                record_assessor(db, crc, form_id=saved.form_id, assessor_username=self.pi.username, now=self.clock())

    def labs(self, subject_id: int, draws: list[LabDraw], visit_id: int | None) -> None:
        for draw in draws:
            record_lab_result(
                self.db,
                self.crc,
                subject_id=subject_id,
                test_code=draw.test,
                value=draw.value,
                unit=draw.unit,
                collected_local=f"{draw.date.isoformat()}T08:00",
                now=self.clock(),
                visit_id=visit_id,
            )


#: Zung SAS/SDS forms are saved with every answer but left ``in-progress``: saving them ``complete`` is refused today,
#: because the form's items (SAS01 … SAS20) do not reach the instrument's scoring model (a list ``items``); see
#: docs/simulate.md.
_ZUNG_STATUS = "in-progress"


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
    replay = _Replay(db, protocol, team, clock)
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
    dm: dict[str, Any] = {
        "BRTHDAT": subject.birth_date.isoformat(),
        "SEX": subject.sex,
        "HEIGHT": str(subject.height_cm),
    }
    if subject.sex == "F":
        dm["CHILDBEAR"] = False
    save_form(db, crc, subject_id=subject_id, form_code="DM", item_values=dm, now=clock(), status="complete")
    evaluation, verdict = evaluate_eligibility(
        db,
        crc,
        subject_id=subject_id,
        record=subject.record,
        evaluated_local=subject.evaluated_on.isoformat(),
        now=clock(),
    )
    if not subject.eligible:
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


def _course(replay: _Replay, subject_id: int, subject: SimSubject, visit_ids: dict[str, int], filled: Filled) -> None:
    db, crc, pi, clock, protocol = replay.db, replay.crc, replay.pi, replay.clock, replay.protocol
    screening = subject.screening
    record_visit(
        db, crc, subject_id=subject_id, visit_code=screening.visit, visit_local=screening.date.isoformat(), now=clock()
    )
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
        replay.forms(subject_id, by_visit[visit.code], visit_ids[visit.code], visit.weight_kg)
        draws = [lab for lab in subject.labs if lab.visit == visit.code]
        replay.labs(subject_id, draws, visit_ids[visit.code])
        filled.lab_results += len(draws)
        if visit.code in infusions:
            _infuse(replay, subject_id, infusions[visit.code])
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
    _adverse_events(replay, subject_id, subject, filled)
    if not followed:
        _end_treatment(replay, subject_id, subject)
        if subject.study_end and subject.study_end[0] != "withdrew-consent":
            set_study_status(
                db, pi, subject_id=subject_id, status="follow-up", reason="treatment completed; followed", now=clock()
            )
    if subject.study_end is not None:
        status, reason = subject.study_end
        set_study_status(db, pi, subject_id=subject_id, status=status, reason=reason, now=clock())


def _end_treatment(replay: _Replay, subject_id: int, subject: SimSubject) -> None:
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


def _infuse(replay: _Replay, subject_id: int, plan: Any) -> None:
    team = replay.team
    unit = ProductUnit(
        unit_id=f"BAG-{subject_id}-{plan.visit}",
        lot=f"AD-MSC-{plan.started:%Y%m}",
        donor_code="D-SIM",
        release_certificate=f"RC-{plan.started:%Y%m%d}",
        cell_count=(plan.dose * Decimal("1.05")).to_integral_value(),
        viability_percent=plan.viability_percent,
        volume_ml=Decimal(100),
        storage_temperature_c=Decimal(4),
        prepared_at=plan.prepared,
        expires_at=plan.prepared + dt.timedelta(hours=8),
        identity_checked_by=(team.coordinator.username, team.investigator.username),
    )
    reactions = [] if plan.reaction_grade is None else [f"infusion related reaction, grade {plan.reaction_grade}"]
    record_infusion(
        replay.db,
        replay.crc,
        subject_id=subject_id,
        now=replay.clock(),
        infusion=Infusion(
            visit_code=plan.visit,
            weight_kg=plan.weight_kg,
            dose_given=plan.dose,
            started_local=plan.started.isoformat(timespec="minutes"),
            ended_local=plan.ended.isoformat(timespec="minutes"),
            unit=unit,
            reactions=reactions,
            interruptions=["paused for 15 minutes"] if plan.reaction_grade == 2 else [],
        ),
    )


def _adverse_events(replay: _Replay, subject_id: int, subject: SimSubject, filled: Filled) -> None:
    db, crc, pi, clock = replay.db, replay.crc, replay.pi, replay.clock
    for event in subject.adverse_events:
        event_id = record_adverse_event(
            db,
            crc,
            subject_id=subject_id,
            now=clock(),
            event=AdverseEventInput(
                verbatim=event.verbatim,
                term=event.term,
                start=event.start.isoformat(),
                stop=event.stop.isoformat() if event.stop else None,
                grade=event.grade,
                seriousness=event.seriousness,
                action_taken=event.action_taken,
                outcome=event.outcome,
            ),
        )
        assess_causality(db, pi, event_id=event_id, relatedness=event.relatedness, expected_version=1, now=clock())
        filled.adverse_events += 1
        if event.aware is not None:
            report_sae(
                db,
                crc,
                event_id=event_id,
                aware_local=event.aware.isoformat(timespec="minutes"),
                now=clock(),
                narrative=f"{event.verbatim}; admitted on {event.start.isoformat()}, "
                f"discharged on {event.stop.isoformat() if event.stop else 'not yet'}.",
            )
            filled.serious += 1
