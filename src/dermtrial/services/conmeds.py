"""Concomitant medication: entered verbatim (ATC code where known) with partial dates on the CM log form; a washout
class taken during the study raises a ``conmed`` deviation (major); the study products are exempt
(:func:`dermtrial.conduct.check_prohibited_medication`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dermtrial.conduct import ConMed, ConMedFinding, check_prohibited_medication
from dermtrial.services.access import Actor
from dermtrial.services.deviations import raise_deviation
from dermtrial.services.forms import check_items, find_form
from dermtrial.services.local_time import check_local
from dermtrial.services.subjects import load_subject
from dermtrial.services.uow import unit_of_work
from dermtrial.services.visits import first_treatment_date
from dermtrial.store.engine import Database
from dermtrial.store.models import FormInstance


def record_conmed(
    db: Database, actor: Actor, *, subject_id: int, med: ConMed, now: dt.datetime
) -> tuple[int, ConMedFinding]:
    """Store one medication as a CM log form and check it against the washout classes; returns (form id, finding)."""
    for field, value in (("start", med.start), ("stop", med.stop)):
        if value is not None:
            check_local(value, field=field, partial=True)
    with unit_of_work(db, actor=actor, now=now, reason="concomitant medication") as work:
        ctx = load_subject(work, subject_id, "form.write")
        row: dict[str, Any] = {"CMTRT": med.verbatim, "CMSTDAT": med.start or "", "CMONGO": med.stop is None}
        if med.therapy_class:
            row["CMCLASS"] = med.therapy_class
        if med.stop:
            row["CMENDAT"] = med.stop
        if not row["CMSTDAT"]:
            del row["CMSTDAT"]
        values = {"medications": [row]}
        form_def = find_form(ctx.protocol, "CM")
        check_items(form_def, values, {c.id: {e.code: e.label for e in c.entries} for c in ctx.protocol.codelists})
        form = FormInstance(
            subject_id=subject_id,
            form_code="CM",
            form_version=form_def.version,
            status="complete",
            item_values=values,
        )
        work.add(form, **ctx.place())
        if med.atc_code:  # the CM form has no ATC item: the code is kept as an audited fact of the form
            work.record(
                "coding",
                entity_type="form_instance",
                entity_id=str(form.id),
                field="atc_code",
                new=med.atc_code,
                **ctx.place(),
            )
        first = first_treatment_date(work.session, subject_id)
        if first is None:
            return form.id, ConMedFinding(False, "no treatment yet: washout is judged at eligibility")
        finding = check_prohibited_medication(med, first, None, ctx.protocol.interventions)
        if finding.prohibited:
            raise_deviation(
                work,
                ctx,
                category="conmed",
                description=f"prohibited medication {med.verbatim}: {finding.reason}",
                major=True,
                occurred_local=med.start if med.start and len(med.start) == 10 else None,
            )
        return form.id, finding
