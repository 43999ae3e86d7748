"""The tables of a raw export: which CSV files, which columns, and how a stored value becomes a cell.

Generated from the study's protocol, never written per form: each form gives ``forms/<FORM>.csv`` (one row per form
instance: its keys, status and non-repeating items) and one ``forms/<FORM>.<GROUP>.csv`` per repeating item group
(one row per group row). A coded item has two columns, the code (``SEX``) and its label (``SEX_label``); a scored
instrument's items are its dotted codes, followed by the derived result (JSON) and the scoring version.

Identifying data never leaves: ``subject_identity`` is not exported, and an item holding a full birth date is exported
as its year only (:data:`YEAR_ONLY_ITEMS`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dermtrial.forms.model import Form, Item
from dermtrial.instruments import INSTRUMENTS
from dermtrial.protocol.model import Protocol
from dermtrial.store.audit import format_utc

#: Items holding a full date of birth (identifying): exported as the year, as SDTM's DM.BRTHDTC allows.
YEAR_ONLY_ITEMS = frozenset({"BRTHDAT"})

#: Key columns of every form file, with their meaning (also written to the export's data dictionary).
FORM_KEYS: dict[str, str] = {
    "form_id": "Key of the form instance",
    "site_code": "Site of the subject",
    "subject_id": "Key of the subject",
    "screening_number": "Screening number of the subject",
    "subject_number": "Subject number given at enrolment",
    "visit_code": "Visit of the schedule (empty for a log form)",
    "visit_repeat": "Repeat of the visit (1 for a scheduled visit)",
    "visit_local": "Visit date, site local (ISO 8601)",
    "form_version": "Form version the data were entered on",
    "status": "Form status",
    "not_done_reason": "Why the form was not done",
    "version": "Edit counter of the form instance",
    "voided": "True when the form was voided (withdrawn as entered in error)",
    "void_reason": "Why it was voided",
    "created_at": "First entry (UTC)",
    "updated_at": "Last change (UTC)",
}
GROUP_KEYS: dict[str, str] = {
    "form_id": "Key of the form instance",
    "site_code": "Site of the subject",
    "screening_number": "Screening number of the subject",
    "row": "Row of the repeating group, from 1",
}
DERIVED: dict[str, str] = {
    "derived": "Result computed by the instrument (JSON), or empty until the form is complete",
    "instrument_version": "Version of the scoring rule that gave the result",
}


def cell(value: Any) -> str:
    """A stored value as CSV text: empty for none, ``true``/``false``, UTC times with ``Z``, lists joined by ``;``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return format_utc(value)
    if isinstance(value, dt.date | Decimal):
        return str(value)
    if isinstance(value, list):
        return ";".join(cell(part) for part in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return str(value)


@dataclass(frozen=True)
class Column:
    """One column of an exported file: where its value comes from and what the dictionary says of it."""

    name: str
    label: str
    item: Item | None = None
    coded: bool = False
    """True for the ``_label`` column of a coded item."""


@dataclass
class FormLayout:
    """The files of one form: its main file and one per repeating group."""

    form: Form
    columns: list[Column]
    groups: dict[str, list[Column]] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return f"forms/{self.form.code}.csv"

    def group_file(self, group: str) -> str:
        return f"forms/{self.form.code}.{group}.csv"


def _item_columns(item: Item) -> list[Column]:
    columns = [Column(item.id, item.label, item)]
    if item.codelist is not None:
        columns.append(Column(f"{item.id}_label", f"{item.label} (label of the code)", item, coded=True))
    return columns


def form_layouts(protocol: Protocol) -> list[FormLayout]:
    """The layout of every form of the protocol, in protocol order."""
    layouts: list[FormLayout] = []
    for form in protocol.forms:
        columns = [Column(name, label) for name, label in FORM_KEYS.items()]
        layout = FormLayout(form, columns)
        if form.instrument is not None:
            for info in INSTRUMENTS[form.instrument].metadata.items:
                columns.append(Column(info.code, f"{info.label_en} ({info.allowed})"))
            columns.extend(Column(name, label) for name, label in DERIVED.items())
        for group in form.item_groups:
            if group.repeating:
                keys = [Column(name, label) for name, label in GROUP_KEYS.items()]
                layout.groups[group.id] = keys + [c for item in group.items for c in _item_columns(item)]
            else:
                columns.extend(c for item in group.items for c in _item_columns(item))
        layouts.append(layout)
    return layouts


def item_cell(column: Column, value: Any, codelists: Mapping[str, Mapping[str, str]]) -> str:
    """The cell of an item column: the code, its label, or a birth date's year."""
    if column.item is not None and column.coded:
        labels = codelists.get(column.item.codelist or "", {})
        codes = value if isinstance(value, list) else [value]
        return ";".join(labels.get(str(code), "") for code in codes if code is not None)
    if column.name in YEAR_ONLY_ITEMS and isinstance(value, str):
        return value[:4]
    return cell(value)


def reduce_identifying(value: Any) -> tuple[Any, bool]:
    """A JSON value with every :data:`YEAR_ONLY_ITEMS` date cut to its year, and whether anything was cut."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        cut = False
        for key, part in value.items():
            if key in YEAR_ONLY_ITEMS and isinstance(part, str) and len(part) > 4:
                out[key], cut = part[:4], True
            else:
                out[key], inner = reduce_identifying(part)
                cut = cut or inner
        return out, cut
    if isinstance(value, list):
        parts = [reduce_identifying(part) for part in value]
        return [part for part, _ in parts], any(cut for _, cut in parts)
    return value, False


def audit_cells(row: Mapping[str, Any]) -> list[str]:
    """An audit event as CSV cells, its old and new values with identifying dates cut (then ``redacted`` is true)."""
    cells: list[str] = []
    redacted = False
    for name, value in row.items():
        if name in {"old_value", "new_value"} and isinstance(value, str) and any(k in value for k in YEAR_ONLY_ITEMS):
            reduced, cut = reduce_identifying(json.loads(value))
            if cut:
                value = json.dumps(reduced, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                redacted = True
        cells.append(cell(value))
    return [*cells, cell(redacted)]


def codelist_labels(protocol: Protocol) -> dict[str, dict[str, str]]:
    """Code list id → code → label."""
    return {c.id: {e.code: e.label for e in c.entries} for c in protocol.codelists}


SUBJECT_COLUMNS: dict[str, str] = {
    "subject_id": "Key of the subject",
    "site_code": "Site that screened the subject",
    "screening_number": "Number given at screening",
    "subject_number": "Number given at enrolment",
    "status": "screening, screen-failed, enrolled, withdrawn or completed",
    "sex": "M or F",
    "birth_year": "Year of birth (the full date is identifying and not exported)",
    "arm_code": "Arm assigned at randomisation",
    "enrolled_on": "Enrolment date, site local",
    "voided": "True when voided",
    "void_reason": "Why it was voided",
    "version": "Edit counter",
}
VISIT_COLUMNS: dict[str, str] = {
    "visit_id": "Key of the visit",
    "subject_id": "Key of the subject",
    "site_code": "Site of the subject",
    "screening_number": "Screening number of the subject",
    "visit_code": "Visit of the schedule or UNSCHEDULED",
    "repeat": "Repeat number",
    "status": "planned, done, not-done or missed",
    "visit_local": "Visit date or date-time, site local",
    "visit_tz": "IANA zone of visit_local",
    "not_done_reason": "Why the visit did not take place",
    "voided": "True when voided",
    "version": "Edit counter",
}
SIGNATURE_COLUMNS: dict[str, str] = {
    "id": "Key of the signature",
    "entity_type": "Table of the signed record",
    "entity_id": "Key of the signed record",
    "entity_version": "Version of the record when signed",
    "record_sha256": "SHA-256 of the signed data",
    "user_id": "The signer",
    "signer_name": "The signer's name at the time of signing",
    "meaning": "What the signature means (reviewed, approved, authored)",
    "signed_at": "When signed (UTC)",
    "invalidated_at": "When a change of the signed data invalidated it (UTC)",
    "invalidated_reason": "The change that invalidated it",
}


def dictionary_rows(
    layouts: list[FormLayout], codelists: Mapping[str, Mapping[str, str]], audit_columns: dict[str, str]
) -> list[list[str]]:
    """The export's data dictionary: file, column, label, type, unit, codes (``code=label`` joined by ``;``)."""
    rows: list[list[str]] = []

    def fixed(file: str, columns: dict[str, str]) -> None:
        rows.extend([file, name, label, "", "", ""] for name, label in columns.items())

    fixed("subjects.csv", SUBJECT_COLUMNS)
    fixed("visits.csv", VISIT_COLUMNS)
    for layout in layouts:
        files = [(layout.file, layout.columns), *((layout.group_file(g), c) for g, c in layout.groups.items())]
        for file, columns in files:
            for column in columns:
                item = column.item
                if item is None:
                    rows.append([file, column.name, column.label, "", "", ""])
                    continue
                codes = ""
                if item.codelist is not None and not column.coded:
                    entries = codelists.get(item.codelist, {})
                    codes = ";".join(f"{code}={label}" for code, label in entries.items())
                kind = "text" if column.coded else item.type
                note = " (year only: the full date is identifying)" if column.name in YEAR_ONLY_ITEMS else ""
                rows.append([file, column.name, column.label + note, kind, item.unit or "", codes])
    fixed("audit-trail.csv", audit_columns)
    fixed("signatures.csv", SIGNATURE_COLUMNS)
    return rows
