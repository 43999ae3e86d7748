"""Eligibility evaluations and enrollment.

:func:`evaluate_eligibility` runs the eligibility core on a screening record and stores the verdict with every
criterion (never a procedure before consent). :func:`enroll_subject` enrolls only when the subject's latest stored
evaluation is ``eligible`` **and** carries a valid signature (made through
:func:`~dermtrial.services.signatures.sign_record`, which requires ``eligibility.sign`` and the delegated task
``sign-eligibility``), and the study has not reached its planned enrollment (``design.enrollment.count``); it gives
the enrollment number in the protocol's format.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from dermtrial.eligibility import evaluate_candidate, read_record
from dermtrial.protocol.loader import content_hash
from dermtrial.services.access import Actor
from dermtrial.services.errors import Conflict
from dermtrial.services.local_time import check_local
from dermtrial.services.numbering import next_subject_number
from dermtrial.services.records import refuse
from dermtrial.services.signatures import record_sha256
from dermtrial.services.subjects import change_study_status, load_subject, require_consented
from dermtrial.services.uow import unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import EligibilityEvaluation, Signature, Subject


def evaluate_eligibility(
    db: Database, actor: Actor, *, subject_id: int, record: dict[str, Any], evaluated_local: str, now: dt.datetime
) -> tuple[int, str]:
    """Evaluate and store; returns the evaluation's id and its verdict (``eligibility.evaluate``)."""
    check_local(evaluated_local, field="evaluated_local")
    with unit_of_work(db, actor=actor, now=now) as work:
        ctx = load_subject(work, subject_id, "eligibility.evaluate")
        if ctx.subject.status != "screening":
            raise refuse(
                "subject_id", subject_id, f"only a subject in screening is evaluated; it is {ctx.subject.status}"
            )
        require_consented(work.session, subject_id, evaluated_local, "evaluated_local")
        evaluation = evaluate_candidate(ctx.protocol, read_record(record))
        stored = EligibilityEvaluation(
            subject_id=subject_id,
            protocol_version=ctx.protocol.version,
            protocol_content_hash=content_hash(ctx.protocol),
            verdict=evaluation.verdict,
            criteria={c["id"]: c for c in evaluation.to_json()["criteria"]},
            evaluated_local=evaluated_local,
            evaluated_tz=ctx.site.timezone,
        )
        work.add(stored, **ctx.place())
        return stored.id, evaluation.verdict


def enroll_subject(db: Database, actor: Actor, *, subject_id: int, enrolled_local: str, now: dt.datetime) -> str:
    """Enroll a screened subject (``subject.enroll``); returns the enrollment number. Refused unless the gates hold."""
    check_local(enrolled_local, field="enrolled_local")
    with unit_of_work(db, actor=actor, now=now, reason="enrolled: eligible and signed") as work:
        ctx = load_subject(work, subject_id, "subject.enroll")
        session = work.session
        require_consented(session, subject_id, enrolled_local, "enrolled_local")
        latest = session.scalars(
            select(EligibilityEvaluation)
            .where(EligibilityEvaluation.subject_id == subject_id, EligibilityEvaluation.voided.is_(False))
            .order_by(EligibilityEvaluation.id.desc())
        ).first()
        if latest is None or latest.verdict != "eligible":
            verdict = "none stored" if latest is None else latest.verdict
            raise refuse("eligibility", verdict, "enrollment needs a stored evaluation whose verdict is eligible")
        signed = session.scalars(
            select(Signature.id).where(
                Signature.entity_type == "eligibility_evaluation",
                Signature.entity_id == latest.id,
                Signature.invalidated_at.is_(None),
                Signature.record_sha256 == record_sha256(latest),
            )
        ).first()
        if signed is None:
            raise refuse(
                "eligibility",
                f"evaluation {latest.id}",
                "enrollment needs the eligible evaluation signed by an investigator delegated sign-eligibility",
            )
        planned = ctx.protocol.design.enrollment.count
        enrolled = session.scalar(
            select(func.count())
            .select_from(Subject)
            .where(Subject.study_id == ctx.subject.study_id, Subject.subject_number.is_not(None))
        )
        if (enrolled or 0) >= planned:
            raise Conflict(
                f"the study is full: {enrolled} of {planned} planned subjects are enrolled",
                path=("study",),
                value=enrolled,
            )
        template = ctx.protocol.settings.subject_numbering.enrollment
        number = next_subject_number(session, ctx.site, template, "enrollment")
        change_study_status(work, ctx, "enrolled", "enrolled: eligible and signed")
        work.change(
            ctx.subject,
            {"subject_number": number, "enrolled_on": enrolled_local},
            expected_version=None,
            **ctx.place(),
        )
        return number
