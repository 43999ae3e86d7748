"""A subject carried through a few forms for the casebook tests: enrolled at GZ01 (eligibility signed), day-1 visit
recorded, a weight form entered, signed by the investigator, corrected with a reason (the signature becomes
invalid) and signed again, and a PASI form with its derived total."""

from __future__ import annotations

from dataclasses import dataclass

from dermtrial.services.forms import save_form
from dermtrial.services.signatures import sign_record
from dermtrial.services.visits import record_visit
from dermtrial.store.engine import Database
from dermtrial.store.models import FormInstance, Subject
from tests.conftest import NOW, PASSWORD, StudySetup
from tests.services.conduct_setup import Enrolled, enrolled, on_study_day

PASI = {
    f"{region}.{sign}": value
    for region in ("head", "upper_limbs", "trunk", "lower_limbs")
    for sign, value in (("erythema", 2), ("induration", 1), ("desquamation", 1), ("area", 3))
}
"""Every region erythema 2, induration 1, desquamation 1, area band 3: PASI 12.0 (tests/services/test_forms.py)."""


@dataclass
class CasebookCase:
    """The subject, its number, the people and the forms made."""

    db: Database
    case: Enrolled
    number: str
    weight_form: int
    pasi_form: int


def carried_subject(study: StudySetup) -> CasebookCase:
    """Enroll one GZ01 subject and carry it through the day-1 forms (see the module docstring)."""
    case = enrolled(study)
    db = study.db
    visit, _ = record_visit(
        db, case.crc, subject_id=case.subject_id, visit_code="day1", visit_local=on_study_day(1), now=NOW
    )
    weight = save_form(
        db,
        case.crc,
        subject_id=case.subject_id,
        form_code="WT",
        visit_id=visit,
        item_values={"WTDAT": on_study_day(1), "WEIGHT": "70.5"},
        status="complete",
        now=NOW,
    ).form_id
    sign_record(
        db, case.pi, entity_type="form_instance", entity_id=weight, password=PASSWORD, meaning="approved", now=NOW
    )
    with db.reading() as session:
        version = session.get_one(FormInstance, weight).version
        number = session.get_one(Subject, case.subject_id).subject_number
    save_form(
        db,
        case.crc,
        subject_id=case.subject_id,
        form_code="WT",
        form_id=weight,
        expected_version=version,
        item_values={"WEIGHT": "72.3"},
        status="complete",
        reason="scale read wrongly",
        now=NOW,
    )
    sign_record(
        db, case.pi, entity_type="form_instance", entity_id=weight, password=PASSWORD, meaning="reviewed", now=NOW
    )
    pasi = save_form(
        db, case.pi, subject_id=case.subject_id, form_code="PASI", item_values=PASI, status="complete", now=NOW
    ).form_id
    assert number is not None
    return CasebookCase(db, case, number, weight, pasi)
