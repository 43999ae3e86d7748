"""The screening record built from what was entered on the screening visit (read use case).

:func:`eligibility_record_from_forms` follows each eligibility input's declared ``source`` (protocol
``eligibility.inputs``) to the stored data and returns a record in exactly the shape
:func:`~dermtrial.services.enrollment.evaluate_eligibility` takes (docs/eligibility.md), with where each input's value
came from:

- ``instrument``: the instrument form of the screening visit, once scored (complete). The PASI and Zung forms are
  given item by item (``pasi_items``, ``zung_*_items``) so that the engine scores them itself; the other instruments
  give their stored derived value;
- ``item`` ``FORM.ITEM``: the item as entered on that form at the screening visit (or in the log, for a log form).
  ``IC.ICSIGNED`` not entered on an IC form is taken from the subject's consent as recorded at screening;
- ``lab``: the latest screening result of the test (at the screening visit, or without a visit and collected before
  the first treatment date) in its unit as reported, with the site's reference range it was judged against,
  converted to that unit;
- ``age_at``: the birth date from the identity table (shown only to an actor holding ``identity.read`` at the site)
  and the consent date (the subject's first consent); the engine counts the whole years;
- ``days_since_last_use``: the latest ``LASTDAT`` of each therapy class on the prior-treatment rows; a class no row
  names stays unknown (never "never used"); the baseline is the recorded day-1 visit date, else left for the
  coordinator to add (the planned first treatment date is not a form item);
- ``days_since_other_trial``: the end date entered on the eligibility facts form (``IE.OTHTRDAT``), if any.

Nothing is invented: an input without data stays out of the record (the engine answers unknown) and its source says
``not entered``. Judgements (investigator attestations) are not form data and are never filled in.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermtrial.eligibility.inputs import INSTRUMENT_FIELDS
from dermtrial.eligibility.labs import conversion
from dermtrial.instruments import INSTRUMENTS
from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor, permitted_sites
from dermtrial.services.forms import study_protocol
from dermtrial.services.overview import _subject
from dermtrial.services.subjects import parse_local
from dermtrial.services.uow import reading
from dermtrial.services.visits import first_treatment_date
from dermtrial.store.engine import Database
from dermtrial.store.models import Consent, FormInstance, LabResult, ReferenceRange, Subject, SubjectIdentity, Visit

NOT_ENTERED = "not entered"
OTHER_TRIAL_END = ("IE", "OTHTRDAT")
"""The form item giving the end of participation in another trial."""
PRIOR_THERAPY = ("PRIORTX", "therapy", "CLASS", "LASTDAT")
"""The prior-therapy log: form, repeating group, class item, date-of-last-use item."""


def _number(value: Decimal) -> int | float:
    """A stored decimal as a JSON number: whole numbers as int, others as the shortest float of the same digits."""
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(str(value))


def _moment(local: str) -> dt.datetime:
    value = parse_local(local)
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())


class _Collector:
    """Reads one subject's screening data inside a read session."""

    def __init__(self, session: Session, actor: Actor, subject: Subject, protocol: Protocol) -> None:
        self.session = session
        self.subject = subject
        self.protocol = protocol
        self.record: dict[str, Any] = {}
        self.sources: dict[str, str] = {}
        visit_code = next((v.id for v in protocol.visits if v.kind == "screening"), None)
        self.visit_id = session.scalar(
            select(Visit.id).where(
                Visit.subject_id == subject.id,
                Visit.visit_code == visit_code,
                Visit.repeat == 1,
                Visit.voided.is_(False),
            )
        )
        self.first = first_treatment_date(session, subject.id)
        sites = permitted_sites(session, actor, "identity.read")
        self.sees_identity = sites is None or subject.site_id in sites
        self.log_forms = {form.code for form in protocol.forms if form.log}
        self._forms: dict[str, FormInstance | None] = {}

    def form(self, code: str) -> FormInstance | None:
        """The latest saved (not voided, not "not done") instance of a form at the screening visit (log: any)."""
        if code not in self._forms:
            query = select(FormInstance).where(
                FormInstance.subject_id == self.subject.id,
                FormInstance.form_code == code,
                FormInstance.voided.is_(False),
                FormInstance.status != "not-done",
            )
            if code in self.log_forms:
                query = query.where((FormInstance.visit_id == self.visit_id) | FormInstance.visit_id.is_(None))
            elif self.visit_id is None:
                self._forms[code] = None
                return None
            else:
                query = query.where(FormInstance.visit_id == self.visit_id)
            self._forms[code] = self.session.scalars(query.order_by(FormInstance.id.desc())).first()
        return self._forms[code]

    def consent(self) -> Consent | None:
        rows = self.session.scalars(
            select(Consent).where(Consent.subject_id == self.subject.id, Consent.voided.is_(False))
        ).all()
        dated = [(_moment(row.signed_local), row.id, row) for row in rows]
        return min(dated, key=lambda item: item[:2])[2] if dated else None

    def dates(self) -> None:
        consent = self.consent()
        if consent is not None:
            self.record["consent_date"] = consent.signed_local[:10]
        self.consent_source = (
            f"consent {consent.id} ({consent.signed_local[:10]})" if consent else "consent not entered"
        )
        if self.first is not None:
            self.record["baseline_date"] = self.first.isoformat()
        identity = self.session.get(SubjectIdentity, self.subject.id) if self.sees_identity else None
        if identity is not None and identity.birth_date:
            self.record["birth_date"] = identity.birth_date[:10]
            self.birth_source = "subject identity birth date (DM.BRTHDAT)"
        elif not self.sees_identity:
            self.birth_source = "birth date not shown (needs identity.read)"
        else:
            self.birth_source = "birth date not entered"

    def instrument(self, name: str, instrument: str) -> None:
        code = next((f.code for f in self.protocol.forms if f.instrument == instrument), None)
        form = self.form(code) if code else None
        if form is None:
            self.sources[name] = NOT_ENTERED
            return
        if form.derived is None:  # saved but not complete: its items may be partial, so it is not read
            self.sources[name] = f"{form.form_code} form {form.id}: {NOT_ENTERED} (not complete)"
            return
        derived_field, items_field = INSTRUMENT_FIELDS.get(instrument, (instrument, None))
        assessments = self.record.setdefault("assessments", {})
        entry = INSTRUMENTS.get(instrument)
        if items_field is not None and entry is not None:
            given = entry.input_from_form_items(form.item_values)
            assessments[items_field] = given.get("items", given)
            self.sources[name] = f"{form.form_code} form {form.id}: items"
            return
        value = form.derived.get(derived_field, form.derived.get("value", form.derived.get("total")))
        if value is None:
            self.sources[name] = f"{form.form_code} form {form.id}: not computable"
            return
        assessments[derived_field] = value
        self.sources[name] = f"{form.form_code} form {form.id}: {derived_field}"

    def fact(self, name: str, item: str) -> None:
        form_code, _, item_id = item.partition(".")
        form = self.form(form_code)
        value = None if form is None else form.item_values.get(item_id)
        if value is not None:
            if isinstance(value, Decimal):
                value = _number(value)
            self.record.setdefault("facts", {})[name] = value
            self.sources[name] = f"{form_code} form {form.id if form else ''}: {item_id}"
        elif item == "IC.ICSIGNED" and self.record.get("consent_date"):
            consent = self.consent()
            if consent is not None and consent.withdrawn_local is None:
                self.record.setdefault("facts", {})[name] = True
                self.sources[name] = self.consent_source
                return
            self.sources[name] = NOT_ENTERED
        else:
            self.sources[name] = NOT_ENTERED

    def lab(self, name: str, code: str) -> None:
        rows = self.session.scalars(
            select(LabResult).where(
                LabResult.subject_id == self.subject.id, LabResult.test_code == code, LabResult.voided.is_(False)
            )
        ).all()
        first = self.first.isoformat() if self.first else None

        def at_screening(row: LabResult) -> bool:
            if self.visit_id is not None and row.visit_id == self.visit_id:
                return True
            day = str(row.collected_local or "")[:10]
            return row.visit_id is None and bool(day) and (first is None or day < first)

        chosen = [r for r in rows if at_screening(r) and r.value is not None and r.unit]
        if not chosen:
            self.sources[name] = NOT_ENTERED
            return
        row = max(chosen, key=lambda r: (str(r.collected_local or ""), r.id))
        value, unit = row.value or Decimal(0), row.unit or ""  # both given (filtered above)
        lab: dict[str, Any] = {"test": code, "value": _number(value), "unit": unit}
        shown = f"lab result {row.id} ({row.value_text} {row.unit}, {str(row.collected_local)[:10]})"
        found = self.session.get(ReferenceRange, row.reference_range_id) if row.reference_range_id else None
        if found is not None:
            test = next(t for t in self.protocol.safety.lab_tests if t.code == code)
            factor = conversion(test, found.unit, unit).factor
            lab["lln"] = None if found.lower is None else _number(found.lower * factor)
            lab["uln"] = None if found.upper is None else _number(found.upper * factor)
            shown += f", reference range {found.id}"
        labs: list[dict[str, Any]] = self.record.setdefault("labs", [])
        if not any(entry["test"] == code for entry in labs):
            labs.append(lab)
        self.sources[name] = shown

    def last_use(self, name: str, classes: list[str]) -> None:
        form_code, group, class_item, date_item = PRIOR_THERAPY
        # A log form may be kept as several instances (one per therapy): every saved one counts.
        forms = self.session.scalars(
            select(FormInstance)
            .where(
                FormInstance.subject_id == self.subject.id,
                FormInstance.form_code == form_code,
                FormInstance.voided.is_(False),
                FormInstance.status != "not-done",
                (FormInstance.visit_id == self.visit_id) | FormInstance.visit_id.is_(None),
            )
            .order_by(FormInstance.id)
        ).all()
        latest: dict[str, tuple[str, int]] = {}
        for form in forms:
            rows = form.item_values.get(group, [])
            for row in rows if isinstance(rows, list) else []:
                klass, date = row.get(class_item), row.get(date_item)
                if isinstance(klass, str) and isinstance(date, str) and len(date) == 10:
                    latest[klass] = max(latest.get(klass, (date, form.id)), (date, form.id))
        given = {k: v for k, v in latest.items() if k in classes}
        if given:
            self.record.setdefault("last_use", {}).update({k: date for k, (date, _) in given.items()})
        parts = [f"{form_code} form {form_id}: {k}" for k, (_, form_id) in sorted(given.items())]
        missing = [k for k in classes if k not in given]
        if missing:
            parts.append(f"{NOT_ENTERED}: {', '.join(missing)}")
        if "baseline_date" not in self.record:
            parts.append("baseline date not entered (day 1 not recorded)")
        self.sources[name] = "; ".join(parts)

    def other_trial(self, name: str) -> None:
        form_code, item_id = OTHER_TRIAL_END
        form = self.form(form_code)
        value = None if form is None else form.item_values.get(item_id)
        if isinstance(value, str) and value:
            self.record["other_trial_end_date"] = value
            self.sources[name] = f"{form_code} form {form.id if form else ''}: {item_id}"
        else:
            self.sources[name] = NOT_ENTERED


def eligibility_record_from_forms(db: Database, actor: Actor, subject_id: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The subject's screening record from its screening forms, and per input where its value came from.

    ``subject.read`` at the subject's site (another site's subject is NotFound). The record is JSON-ready and in the
    shape :func:`~dermtrial.eligibility.read_record` accepts; an input without data is left out and its source is
    ``not entered``.
    """
    with reading(db, actor=actor) as ctx:
        row = _subject(ctx.session, actor, subject_id)
        subject = ctx.session.get_one(Subject, subject_id)
        protocol = study_protocol(ctx.session, subject.study_id)
        collector = _Collector(ctx.session, actor, subject, protocol)
        collector.record["candidate"] = row.screening_number
        collector.dates()
        labs_needed = []
        for spec in protocol.eligibility.inputs:
            source = spec.source
            if source.instrument is not None:
                collector.instrument(spec.name, source.instrument)
            elif source.item is not None:
                collector.fact(spec.name, source.item)
            elif source.lab is not None:
                collector.lab(spec.name, source.lab)
                labs_needed.append(source.lab)
            elif source.age_at is not None:
                at = collector.consent_source if source.age_at == "consent" else "baseline (day 1) date"
                collector.sources[spec.name] = f"{collector.birth_source}; {at}"
            elif source.days_since_last_use is not None:
                collector.last_use(spec.name, source.days_since_last_use)
            elif source.days_since_other_trial:
                collector.other_trial(spec.name)
        if protocol.settings.eligibility_calcium == "albumin_corrected" and "ALB" not in labs_needed:
            collector.lab("ALB", "ALB")
        return collector.record, collector.sources
