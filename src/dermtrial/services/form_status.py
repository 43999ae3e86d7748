"""Form status changes a site makes outside data entry: a form marked not done with its reason, or reopened.

Transitions follow :mod:`dermtrial.conduct.form_status`; data entry itself (``in-progress``, ``complete``) goes through
:func:`dermtrial.services.forms.save_form`, verification through SDV, ``signed`` and ``locked`` through signatures and
locks. A not-done form is no longer missing in ``dermtrial report missing-forms``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from dermtrial.conduct import check_form_transition
from dermtrial.services.access import Actor
from dermtrial.services.forms import find_form
from dermtrial.services.records import check_text, locate, refuse
from dermtrial.services.review import after_change, before_change
from dermtrial.services.subjects import load_subject
from dermtrial.services.uow import unit_of_work
from dermtrial.services.visits import visit_row
from dermtrial.store.engine import Database
from dermtrial.store.models import FormInstance


def mark_form_not_done(
    db: Database, actor: Actor, *, subject_id: int, visit_code: str, form_code: str, reason: str, now: dt.datetime
) -> int:
    """Mark an expected form of a visit not done, with its reason (``form.write``); returns the form's id."""
    reason = check_text("reason", reason, what="the reason the form was not done")
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        ctx = load_subject(work, subject_id, "form.write")
        visit = visit_row(work, ctx, visit_code)
        expected = ctx.protocol.visit(visit_code).forms
        if form_code not in expected:
            raise refuse("form_code", form_code, f"the forms of {visit_code} are {', '.join(expected)}")
        form = work.session.scalars(
            select(FormInstance).where(
                FormInstance.visit_id == visit.id, FormInstance.form_code == form_code, FormInstance.voided.is_(False)
            )
        ).first()
        if form is None:
            check_form_transition("not-started", "not-done", reason)
            form = FormInstance(
                subject_id=subject_id,
                visit_id=visit.id,
                form_code=form_code,
                form_version=find_form(ctx.protocol, form_code).version,
                status="not-done",
                not_done_reason=reason,
                item_values={},
            )
            work.add(form, **ctx.place())
            return form.id
        check_form_transition(form.status, "not-done", reason)
        located = locate(work.session, "form_instance", form.id)
        before = before_change(work.session, located)
        work.change(form, {"status": "not-done", "not_done_reason": reason}, expected_version=None, **ctx.place())
        after_change(work, located, before)
        return form.id
