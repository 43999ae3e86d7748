"""One subject's records saved through the services: forms, instruments with their assessor, laboratory results,
infusions with their product unit, adverse events with causality and SAE reports (used by
:mod:`dermtrial.simulate.driver`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dermtrial.conduct import ProductUnit
from dermtrial.protocol.model import Protocol
from dermtrial.services.dosing import Infusion, record_infusion
from dermtrial.services.forms import NewForm, save_form, save_forms
from dermtrial.services.safety_ae import AdverseEventInput, assess_causality, record_adverse_event
from dermtrial.services.safety_labs import LabEntry, record_lab_panel
from dermtrial.services.safety_sae import report_sae
from dermtrial.services.visits import record_assessor
from dermtrial.simulate import instruments as items
from dermtrial.simulate.background import childbearing, pregnancy_test
from dermtrial.simulate.model import Assessment, InfusionPlan, LabDraw, SimSubject
from dermtrial.simulate.setup import SiteTeam
from dermtrial.store.engine import Database


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


class Replay:
    """Saves one subject's records through the services, as the site's coordinator (the investigator assesses,
    signs and judges causality)."""

    def __init__(self, db: Database, protocol: Protocol, team: SiteTeam, clock: Callable[[], dt.datetime]) -> None:
        self.db, self.protocol, self.team, self.clock = db, protocol, team, clock
        self.crc, self.pi = team.coordinator, team.investigator
        self.declared = {form.code for form in protocol.forms}

    def save(self, subject_id: int, code: str, values: dict[str, Any], visit_id: int | None) -> int | None:
        """Save a complete form the protocol declares (None when it does not declare ``code``)."""
        if code not in self.declared:
            return None
        saved = save_form(
            self.db,
            self.crc,
            subject_id=subject_id,
            form_code=code,
            item_values=values,
            now=self.clock(),
            status="complete",
            visit_id=visit_id,
        )
        return saved.form_id

    def save_all(self, subject_id: int, entries: list[tuple[str, dict[str, Any]]], visit_id: int | None) -> None:
        """Save complete forms, in order, in one unit of work (those the protocol does not declare are left out)."""
        forms = [NewForm(code, values, "complete") for code, values in entries if code in self.declared]
        if forms:
            save_forms(self.db, self.crc, subject_id=subject_id, forms=forms, now=self.clock(), visit_id=visit_id)

    def screening_forms(self, subject_id: int, subject: SimSubject, visit_id: int | None) -> None:
        """Consent, demographics, history, examination, pregnancy test, eligibility facts and vital signs."""
        dm: dict[str, Any] = {
            "BRTHDAT": subject.birth_date.isoformat(),
            "SEX": subject.sex,
            "HEIGHT": str(subject.height_cm),
        }
        if subject.sex == "F":
            dm["CHILDBEAR"] = childbearing(subject)
        entries: list[tuple[str, dict[str, Any]]] = [("DM", dm)]
        for code in ("IC", "PSOHX", "PRIORTX", "MH", "PE", "PREG", "IE"):
            if code in subject.forms:
                entries.append((code, subject.forms[code]))
        if subject.screening.visit in subject.vitals:
            entries.append(("VS", subject.vitals[subject.screening.visit]))
        self.save_all(subject_id, entries, visit_id)

    def visit_forms(self, subject_id: int, subject: SimSubject, code: str, day: dt.date, visit_id: int) -> None:
        """Vital signs, the examination and the pregnancy test where the protocol assigns them at a visit."""
        forms = self.protocol.visit(code).forms
        entries: list[tuple[str, dict[str, Any]]] = []
        if code in subject.vitals:
            entries.append(("VS", subject.vitals[code]))
        if "PE" in forms and "PE" in subject.forms:
            entries.append(("PE", subject.forms["PE"]))
        if "PREG" in forms and childbearing(subject):
            entries.append(("PREG", pregnancy_test(day)))
        self.save_all(subject_id, entries, visit_id)

    def forms(self, subject_id: int, assessment: Assessment, visit_id: int | None, weight: Decimal | None) -> None:
        """The scored instruments of one assessment and the weight in one unit of work, then PASI's assessor."""
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
                entries.append((scale.upper(), items.zung_form_values(scale, answers), "complete"))
        if weight is not None:
            entries.append(("WT", {"WTDAT": assessment.date.isoformat(), "WEIGHT": str(weight)}, "complete"))
        forms = [NewForm(code, values, status) for code, values, status in entries]
        saved = save_forms(db, crc, subject_id=subject_id, forms=forms, now=self.clock(), visit_id=visit_id)
        pasi = saved[0].form_id  # entries[0] is PASI
        record_assessor(db, crc, form_id=pasi, assessor_username=self.pi.username, now=self.clock())

    def labs(self, subject_id: int, draws: list[LabDraw], visit_id: int | None) -> None:
        """Each day's draws as one panel (one blood draw, one unit of work)."""
        by_day: dict[dt.date, list[LabDraw]] = {}
        for draw in draws:
            by_day.setdefault(draw.date, []).append(draw)
        for day, panel in by_day.items():
            record_lab_panel(
                self.db,
                self.crc,
                subject_id=subject_id,
                results=[LabEntry(test_code=d.test, value=d.value, unit=d.unit) for d in panel],
                collected_local=f"{day.isoformat()}T08:00",
                now=self.clock(),
                visit_id=visit_id,
            )


def infuse(replay: Replay, subject_id: int, plan: InfusionPlan) -> None:
    """The infusion with its product unit (custody checked by the service)."""
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


def adverse_events(replay: Replay, subject_id: int, subject: SimSubject, filled: Filled) -> None:
    """Each event, its causality by the investigator and, for a serious one, the SAE report."""
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
