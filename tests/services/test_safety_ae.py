"""Adverse events and SAE reports through the services, on SQLite and PostgreSQL: expectedness per product computed,
causality by a delegated person, the site's 24-hour clock, the sponsor's SUSAR clock restarted by new information,
and every step in the audit trail."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from dermtrial.services import InvalidInput, PermissionDenied
from dermtrial.services.safety_ae import AdverseEventInput, assess_causality, record_adverse_event, update_adverse_event
from dermtrial.services.safety_sae import report_sae, sae_clocks
from dermtrial.store.models import AdverseEvent, SaeReport
from tests.conftest import NOW, StudySetup
from tests.services.conduct_setup import enrolled
from tests.services.helpers import count, events

HYPERCALCAEMIA = AdverseEventInput(
    verbatim="raised calcium, admitted for fluids",
    term="Hypercalcemia",
    start="2019-08",
    grade=3,
    seriousness=("hospitalisation",),
    action_taken="DRUG INTERRUPTED",
    outcome="RECOVERING/RESOLVING",
)


def _event(study: StudySetup, event_id: int) -> dict[str, object]:
    with study.db.reading() as session:
        row = session.get_one(AdverseEvent, event_id)
        return {c: getattr(row, c) for c in ("term", "coded_term", "onset_local", "serious", "expectedness")}


@pytest.mark.requirement("CLIN-CLOCK-01", "CLIN-SAE-01")
def test_ae_and_sae_lifecycle_with_clocks_and_audit_trail(study: StudySetup) -> None:
    subject = enrolled(study)
    db, crc, pi = study.db, subject.crc, subject.pi
    event_id = record_adverse_event(db, crc, subject_id=subject.subject_id, event=HYPERCALCAEMIA, now=NOW)
    stored = _event(study, event_id)
    assert (stored["term"], stored["coded_term"], stored["onset_local"], stored["serious"]) == (
        "raised calcium, admitted for fluids", "Hypercalcemia", "2019-08", True,
    )  # fmt: skip
    assert stored["expectedness"] == {"admsc": False, "calcipotriol": True}  # calcipotriol's label lists hypercalcaemia

    # the coordinator may record but not assess causality
    with pytest.raises(PermissionDenied):
        assess_causality(db, crc, event_id=event_id, relatedness={"admsc": "UNLIKELY"}, expected_version=1, now=NOW)
    assess_causality(
        db, pi, event_id=event_id, relatedness={"admsc": "NOT_RELATED", "calcipotriol": "PROBABLE"},
        expected_version=1, now=NOW,
    )  # fmt: skip

    # initial SAE report: related to calcipotriol and expected for it, so no SUSAR
    initial = report_sae(db, crc, event_id=event_id, narrative="Admitted on 10 Aug.", aware_local="2019-08-10T09:00",
                         now=NOW)  # fmt: skip
    with db.reading() as session:
        report = session.get_one(SaeReport, initial)
        assert report.site_due_at == dt.datetime(2019, 8, 11, 1, 0, tzinfo=dt.UTC)  # 09:00 Shanghai + 24 h
        assert report.expedited["expedited"] is False
        assert report.sponsor_due_date is None

    # new information: the cells are possibly related → SUSAR for the cells, 15-day clock from the new information
    assess_causality(
        db, pi, event_id=event_id, relatedness={"admsc": "POSSIBLE", "calcipotriol": "PROBABLE"},
        expected_version=2, now=NOW, reason="causality revised after the rechallenge",
    )  # fmt: skip
    report_sae(db, crc, event_id=event_id, narrative="Causality revised.", aware_local="2019-08-12T10:00", now=NOW)
    (clock,) = sae_clocks(db, pi, study_id=study.study_id, site_code="GZ01", now=NOW)
    assert (clock.sponsor_due_date, clock.susar_products, clock.reports) == (dt.date(2019, 8, 27), ("admsc",), 2)

    # the patient dies: a 7-day clock from that information, with a follow-up 8 days later
    fatal = replace(
        HYPERCALCAEMIA, grade=5, seriousness=("hospitalisation", "death"), outcome="FATAL", stop="2019-08-14"
    )
    update_adverse_event(db, crc, event_id=event_id, event=fatal, expected_version=3, reason="patient died", now=NOW)
    report_sae(db, crc, event_id=event_id, narrative="Died on 14 Aug.", aware_local="2019-08-14T18:00", now=NOW)
    (clock,) = sae_clocks(db, pi, study_id=study.study_id, site_code="GZ01", now=NOW)
    assert (clock.sponsor_due_date, clock.follow_up_due_date) == (dt.date(2019, 8, 21), dt.date(2019, 8, 29))
    assert clock.sponsor_status == "overdue"
    assert clock.site_reported_on_time is False  # filed in 2026 for an event known in 2019
    assert count(db, SaeReport) == 3

    trail = events(db, entity_type="adverse_event")
    assert [(e["event_type"], e["field"]) for e in trail][:1] == [("create", None)]
    updates = {(e["field"], e["reason"]) for e in trail if e["event_type"] == "update"}
    assert ("relatedness", "causality revised after the rechallenge") in updates
    assert ("grade", "patient died") in updates
    assert ("outcome", "patient died") in updates
    assert len([e for e in events(db, entity_type="sae_report") if e["event_type"] == "create"]) == 3


@pytest.mark.requirement("REG-INTEG-03")
def test_bad_events_are_refused_naming_field_value_and_allowed(study: StudySetup) -> None:
    subject = enrolled(study)
    bad = replace(HYPERCALCAEMIA, term="Hypercalcaemia", start="2019-13", grade=6, seriousness=("hospitalised",))
    with pytest.raises(InvalidInput) as caught:
        record_adverse_event(study.db, subject.crc, subject_id=subject.subject_id, event=bad, now=NOW)
    assert [p.path for p in caught.value.problems] == [("term",), ("start",), ("grade",), ("seriousness",)]
    assert count(study.db, AdverseEvent) == 0


def test_a_non_serious_event_has_no_sae_report_and_other_sites_cannot_record(study: StudySetup) -> None:
    subject = enrolled(study)
    mild = replace(HYPERCALCAEMIA, grade=1, seriousness=(), term="Pruritus", verbatim="itch")
    event_id = record_adverse_event(study.db, subject.crc, subject_id=subject.subject_id, event=mild, now=NOW)
    with pytest.raises(InvalidInput, match="not a serious adverse event"):
        report_sae(study.db, subject.crc, event_id=event_id, narrative="x", aware_local="2019-08-10T09:00", now=NOW)
    outsider = study.user("nurse.zhao", "coordinator", "SH02")
    with pytest.raises(PermissionDenied):
        record_adverse_event(study.db, outsider, subject_id=subject.subject_id, event=mild, now=NOW)
