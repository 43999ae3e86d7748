"""Finding a study record by table and key, with the subject, visit, form, site and study it belongs to.

Queries, source data verification, locks and signatures all work on "any record": they name it by its table
(``form_instance``, ``lab_result`` …) and key, and need its site (for the permission check), its place in the
hierarchy study → subject → visit → form (for locks) and the protocol's definition of its form (to check item
codes). This module answers those questions once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dermtrial.errors import InvalidInput, Problem
from dermtrial.instruments import INSTRUMENTS
from dermtrial.services.errors import NotFound, invalid
from dermtrial.store.base import Base
from dermtrial.store.models import (
    AdverseEvent,
    Consent,
    Deviation,
    EligibilityEvaluation,
    Exposure,
    FormInstance,
    LabResult,
    Site,
    Study,
    Subject,
    Visit,
)

#: The study-data tables a query, a lock or a signature can name, by table name.
STUDY_RECORDS: dict[str, type[Base]] = {
    "subject": Subject,
    "consent": Consent,
    "visit": Visit,
    "form_instance": FormInstance,
    "lab_result": LabResult,
    "exposure": Exposure,
    "adverse_event": AdverseEvent,
    "eligibility_evaluation": EligibilityEvaluation,
    "deviation": Deviation,
}


@dataclass(frozen=True)
class Located:
    """A stored study record and where it sits: study, site, subject, visit and form (None where not applicable)."""

    record: Any
    entity_type: str
    entity_id: int
    study_id: int
    site: Site
    subject_id: int | None
    visit_id: int | None
    form_id: int | None

    @property
    def name(self) -> str:
        """``form_instance 12``: how errors and audit reasons name the record."""
        return f"{self.entity_type} {self.entity_id}"

    def audit_place(self) -> dict[str, Any]:
        """The study, site and subject that audit events about this record carry."""
        return {"study_id": self.study_id, "site_code": self.site.code, "subject_id": self.subject_id}


def check_entity_type(entity_type: str, allowed: dict[str, Any] | None = None) -> type[Base]:
    """The model of ``entity_type``, or :class:`InvalidInput` listing the tables allowed."""
    tables = allowed if allowed is not None else STUDY_RECORDS
    if entity_type not in tables:
        raise refuse("entity_type", entity_type, f"expected one of {', '.join(tables)}")
    return STUDY_RECORDS[entity_type]


def locate(session: Session, entity_type: str, entity_id: int, allowed: dict[str, Any] | None = None) -> Located:
    """The record ``entity_type`` ``entity_id`` and its place; InvalidInput for an unknown table, NotFound if absent."""
    model = check_entity_type(entity_type, allowed)
    record: Any = session.get(model, entity_id)
    if record is None:
        raise NotFound(f"no {entity_type} {entity_id}", path=("entity_id",), value=entity_id)
    subject: Subject | None
    if isinstance(record, Subject):
        subject = record
    elif isinstance(record, Deviation):
        subject = session.get(Subject, record.subject_id) if record.subject_id is not None else None
    else:
        subject = session.get_one(Subject, record.subject_id)
    site_id = subject.site_id if subject is not None else record.site_id
    site = session.get_one(Site, site_id)
    return Located(
        record=record,
        entity_type=entity_type,
        entity_id=entity_id,
        study_id=site.study_id,
        site=site,
        subject_id=subject.id if subject is not None else None,
        visit_id=record.id if isinstance(record, Visit) else getattr(record, "visit_id", None),
        form_id=record.id if isinstance(record, FormInstance) else None,
    )


def protocol_form(session: Session, study_id: int, form_code: str) -> dict[str, Any]:
    """The protocol's definition of ``form_code`` (from the study's protocol snapshot), or NotFound."""
    study = session.get_one(Study, study_id)
    for form in study.protocol_snapshot.get("forms", []):
        if form["code"] == form_code:
            return dict(form)
    raise NotFound(f"the protocol of study {study_id} has no form {form_code}", path=("form_code",), value=form_code)


def form_item_codes(form: dict[str, Any]) -> list[str]:
    """Every key a form's ``item_values`` may hold, in order: item codes, repeating group ids, instrument items."""
    codes: list[str] = []
    for group in form.get("item_groups", []):
        codes.extend(item["id"] for item in group["items"])
        if group.get("repeating"):
            codes.append(group["id"])
    if form.get("instrument"):
        codes.extend(item.code for item in INSTRUMENTS[form["instrument"]].metadata.items)
    return codes


def check_form_field(session: Session, located: Located, field: str) -> None:
    """Refuse ``field`` unless it is an item of the located form (or a column of another record), naming the allowed.

    A row of a repeating group is named with its index, ``conditions[2]`` (or one item of it, ``conditions[2].MHTERM``).
    """
    record = located.record
    base = field.split("[", 1)[0]
    if isinstance(record, FormInstance):
        allowed = form_item_codes(protocol_form(session, located.study_id, record.form_code))
        if base not in allowed:
            raise refuse(
                "field", field, f"not an item of form {record.form_code}: expected one of {', '.join(allowed)}"
            )
        return
    columns = [column.key for column in type(record).__table__.columns if column.key not in _BOOKKEEPING]
    if base not in columns:
        raise refuse("field", field, f"not a field of {located.entity_type}: expected one of {', '.join(columns)}")


_BOOKKEEPING = frozenset(
    {"id", "version", "created_at", "created_by_user_id", "updated_at", "updated_by_user_id", "subject_id"}
)


def site_today(site: Site, now: dt.datetime) -> dt.date:
    """The calendar date at ``site`` at the UTC instant ``now``."""
    return now.astimezone(ZoneInfo(site.timezone)).date()


def check_text(field: str, value: str | None, *, what: str, limit: int = 4000) -> str:
    """A required free text, stripped; InvalidInput naming the field when empty or longer than ``limit``."""
    text = (value or "").strip()
    if not text:
        raise invalid(field, value, f"{what} is required")
    if len(text) > limit:
        raise invalid(field, f"({len(text)} characters)", f"{what} may have at most {limit} characters")
    return text


def shown(value: object) -> str:
    """A value as error messages quote it: ``"text"``, ``none``, ``12``."""
    if value is None:
        return "none"
    return f'"{value}"' if isinstance(value, str) else str(value)


def problem(field: str, value: object, allowed: str) -> Problem:
    """One problem: ``field: "value" is not allowed: what is allowed``."""
    return Problem(path=(field,), message=f"{shown(value)} is not allowed: {allowed}", value=value)


def refuse(field: str, value: object, allowed: str) -> InvalidInput:
    """:class:`InvalidInput` with one :func:`problem`."""
    return InvalidInput([problem(field, value, allowed)])
