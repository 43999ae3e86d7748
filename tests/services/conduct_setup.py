"""A subject carried to enrollment through the conduct services, for the conduct tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dermtrial.conduct import ProductUnit
from dermtrial.eligibility.template import template_record
from dermtrial.protocol.builtin import load_builtin
from dermtrial.services import Actor
from dermtrial.services.enrollment import enroll_subject, evaluate_eligibility
from dermtrial.services.signatures import sign_record
from dermtrial.services.subjects import load_subject, screen_subject
from dermtrial.services.uow import unit_of_work
from dermtrial.services.visits import schedule_visits
from dermtrial.store.engine import Database
from tests.conftest import NOW, PASSWORD, StudySetup

FIRST = dt.date(2019, 8, 1)


def on_study_day(study_day: int) -> str:
    """The ISO date of a study day counted from :data:`FIRST` (day 1)."""
    return (FIRST + dt.timedelta(days=study_day - 1)).isoformat()


def eligible_record(**changes: Any) -> dict[str, Any]:
    """The eligibility template record, consented before and with baseline on :data:`FIRST`."""
    record = template_record(load_builtin("NCT03392311"))
    record.update(candidate="c", consent_date="2019-07-10", baseline_date=FIRST.isoformat(), **changes)
    return record


def product_unit(bag: str, prepared: str, **changes: Any) -> ProductUnit:
    """A released cell product unit prepared at ``prepared`` (site local), expiring 8 hours later."""
    at = dt.datetime.fromisoformat(prepared)
    values: dict[str, Any] = {
        "unit_id": bag,
        "lot": "L2019-07",
        "donor_code": "D17",
        "release_certificate": "RC-031",
        "cell_count": Decimal("1.3e8"),
        "viability_percent": Decimal("92"),
        "volume_ml": Decimal("100"),
        "storage_temperature_c": Decimal("4"),
        "prepared_at": at,
        "expires_at": at + dt.timedelta(hours=8),
        "identity_checked_by": ("nurse.li", "dr.wang"),
    }
    values.update(changes)
    return ProductUnit(**values)


@dataclass
class Enrolled:
    """An enrolled subject with its visits scheduled, and the people of site GZ01."""

    subject_id: int
    pi: Actor
    crc: Actor


def approve_eligibility(db: Database, evaluator: Actor, signer: Actor, subject_id: int) -> int:
    """Evaluate :func:`eligible_record` for the subject (it must come out eligible) and sign the evaluation."""
    evaluation, verdict = evaluate_eligibility(
        db, evaluator, subject_id=subject_id, record=eligible_record(), evaluated_local="2019-07-20", now=NOW
    )
    assert verdict == "eligible"
    sign_record(
        db,
        signer,
        entity_type="eligibility_evaluation",
        entity_id=evaluation,
        password=PASSWORD,
        meaning="approved",
        now=NOW,
    )
    return evaluation


def enrolled(study: StudySetup) -> Enrolled:
    """Screen, evaluate, sign and enroll one subject at GZ01; its visits are scheduled."""
    db = study.db
    pi = study.user("dr.wang", "investigator", "GZ01")
    crc = study.user("nurse.li", "coordinator", "GZ01")
    subject = screen_subject(
        db, crc, site_code="GZ01", consent_version="1.0", consent_signed_local="2019-07-10T10:00", now=NOW
    )
    approve_eligibility(db, crc, pi, subject)
    enroll_subject(db, pi, subject_id=subject, enrolled_local="2019-07-25", now=NOW)
    with unit_of_work(db, actor=crc, now=NOW) as work:
        schedule_visits(work, load_subject(work, subject, "form.write"))
    return Enrolled(subject, pi, crc)
