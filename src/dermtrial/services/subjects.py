"""Subjects from consent to the end of study: screening numbers, consent and re-consent, screen failure, re-screening,
and the study status (docs/conduct.md).

Study status lives in ``subject.status`` and moves only as :mod:`dermtrial.conduct.subject_status` allows; each move
is audited with its reason. Treatment status is read from the data (:func:`treatment_status`): no infusion →
``not-started``; infusions → ``on-treatment``; an end-of-treatment form (EOT) → ``completed`` or ``discontinued``
with its reason. A re-screened person gets a new screening record; the link to the earlier attempt is an audit event
(``rescreen``, field ``rescreen_of``) read back by :func:`rescreen_of`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermtrial.conduct import check_after_consent, check_study_status
from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor, find_site
from dermtrial.services.errors import Conflict, NotFound
from dermtrial.services.forms import study_protocol
from dermtrial.services.local_time import check_local
from dermtrial.services.locks import ensure_unlocked
from dermtrial.services.numbering import next_subject_number
from dermtrial.services.records import check_text, locate, refuse
from dermtrial.services.review import after_change, before_change
from dermtrial.services.studies import only_study
from dermtrial.services.uow import ServiceUnitOfWork, reading, unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import AuditEvent, Consent, Exposure, FormInstance, Site, Subject


@dataclass(frozen=True)
class SubjectContext:
    """A subject loaded inside a unit of work, with its site and protocol."""

    subject: Subject
    site: Site
    protocol: Protocol

    def place(self) -> dict[str, Any]:
        """The study, site and subject audit events carry."""
        return {"study_id": self.subject.study_id, "site_code": self.site.code, "subject_id": self.subject.id}


def load_subject(work: ServiceUnitOfWork, subject_id: int, permission: str) -> SubjectContext:
    """The subject (NotFound if none or voided) after checking ``permission`` at its site."""
    subject = work.session.get(Subject, subject_id)
    if subject is None or subject.voided:
        raise NotFound(f"no subject {subject_id}", path=("subject_id",), value=subject_id)
    work.require(permission, subject.site_id)
    ensure_unlocked(work.session, locate(work.session, "subject", subject_id))  # a study or subject lock refuses
    return SubjectContext(
        subject, work.session.get_one(Site, subject.site_id), study_protocol(work.session, subject.study_id)
    )


def parse_local(value: str) -> dt.datetime | dt.date:
    """A checked site-local ISO value as a date or a naive date-time."""
    return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)


def first_consent(session: Session, subject_id: int) -> dt.datetime | dt.date | None:
    """When the subject first signed consent (site local), or None."""
    values = session.scalars(
        select(Consent.signed_local).where(Consent.subject_id == subject_id, Consent.voided.is_(False))
    ).all()
    return min((parse_local(v) for v in values), key=_sort_key, default=None)


def _sort_key(value: dt.datetime | dt.date) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())


def require_consented(session: Session, subject_id: int, when: str, field: str) -> None:
    """Refuse a procedure dated ``when`` (site local) that is not after the subject's first consent."""
    problem = check_after_consent(first_consent(session, subject_id), parse_local(when))
    if problem is not None:
        raise refuse(field, when, problem)


def screen_subject(
    db: Database,
    actor: Actor,
    *,
    site_code: str,
    consent_version: str,
    consent_signed_local: str,
    now: dt.datetime,
    rescreen_of: int | None = None,
    study_id: int | None = None,
) -> int:
    """Consent a person and give them the next screening number at the site (``subject.enroll``); returns the id.

    With ``rescreen_of`` the new record is linked to the earlier, screen-failed attempt of the same person.
    """
    consent_version = check_text("consent_version", consent_version, what="the consent form version", limit=32)
    check_local(consent_signed_local, field="consent_signed_local")
    study_id = study_id if study_id is not None else only_study(db)
    with unit_of_work(db, actor=actor, now=now) as work:
        site = find_site(work.session, study_id, site_code)
        work.require("subject.enroll", site.id)
        protocol = study_protocol(work.session, study_id)
        earlier: Subject | None = None
        if rescreen_of is not None:
            earlier = work.session.get(Subject, rescreen_of)
            if earlier is None or earlier.study_id != study_id or earlier.site_id != site.id:
                raise NotFound(
                    f"no subject {rescreen_of} at site {site_code}", path=("rescreen_of",), value=rescreen_of
                )
            if earlier.status != "screen-failed":
                raise refuse(
                    "rescreen_of", rescreen_of, f"only a screen-failed subject is re-screened; it is {earlier.status}"
                )
        number = next_subject_number(work.session, site, protocol.settings.subject_numbering.screening, "screening")
        subject = Subject(study_id=study_id, site_id=site.id, screening_number=number, status="screening")
        work.add(subject, study_id=study_id, site_code=site.code)
        place: dict[str, Any] = {"study_id": study_id, "site_code": site.code, "subject_id": subject.id}
        consent = Consent(
            subject_id=subject.id,
            document_version=consent_version,
            signed_local=consent_signed_local,
            signed_tz=site.timezone,
            obtained_by_user_id=actor.user_id,
        )
        work.add(consent, **place)
        if earlier is not None:
            work.record(
                "rescreen",
                entity_type="subject",
                entity_id=str(subject.id),
                field="rescreen_of",
                new=earlier.id,
                reason=f"re-screening of {earlier.screening_number}",
                **place,
            )
        return subject.id


def reconsent(
    db: Database, actor: Actor, *, subject_id: int, consent_version: str, signed_local: str, now: dt.datetime
) -> int:
    """Record a new consent (re-consent after an amendment) with its form version; returns the consent id."""
    consent_version = check_text("consent_version", consent_version, what="the consent form version", limit=32)
    check_local(signed_local, field="signed_local")
    with unit_of_work(db, actor=actor, now=now) as work:
        ctx = load_subject(work, subject_id, "subject.enroll")
        versions = set(work.session.scalars(select(Consent.document_version).where(Consent.subject_id == subject_id)))
        if consent_version in versions:
            raise Conflict(
                f"consent version {consent_version} is already recorded",
                path=("consent_version",),
                value=consent_version,
            )
        require_consented(work.session, subject_id, signed_local, "signed_local")
        consent = Consent(
            subject_id=subject_id,
            document_version=consent_version,
            signed_local=signed_local,
            signed_tz=ctx.site.timezone,
            obtained_by_user_id=actor.user_id,
        )
        work.add(consent, **ctx.place())
        return consent.id


def change_study_status(work: ServiceUnitOfWork, ctx: SubjectContext, new: str, reason: str) -> None:
    """Move the study status inside a unit of work, as the conduct model allows, audited with ``reason``."""
    check_study_status(ctx.subject.status, new)
    located = locate(work.session, "subject", ctx.subject.id)
    before = before_change(work.session, located)
    work.change(ctx.subject, {"status": new}, expected_version=None, reason=reason, **ctx.place())
    after_change(work, located, before)


def set_study_status(
    db: Database, actor: Actor, *, subject_id: int, status: str, reason: str, now: dt.datetime
) -> None:
    """Screen failure, follow-up, completion, withdrawal of consent, lost to follow-up or death, with a reason."""
    reason = check_text("reason", reason, what="a reason for the status change")
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        ctx = load_subject(work, subject_id, "subject.enroll")
        if status == "enrolled":
            raise refuse("status", status, "enrollment goes through enroll_subject (eligibility and numbering)")
        change_study_status(work, ctx, status, reason)


def treatment_status(session: Session, subject_id: int) -> tuple[str, str | None]:
    """The subject's treatment status and, when discontinued, the reason (see the module docstring)."""
    eot = session.scalars(
        select(FormInstance).where(
            FormInstance.subject_id == subject_id, FormInstance.form_code == "EOT", FormInstance.voided.is_(False)
        )
    ).first()
    if eot is not None:
        status = eot.item_values.get("EOTSTAT")
        if status == "COMPLETED":
            return "completed", None
        return "discontinued", str(eot.item_values.get("EOTREAS") or status)
    given = session.scalars(
        select(Exposure.id).where(
            Exposure.subject_id == subject_id, Exposure.kind == "administered", Exposure.voided.is_(False)
        )
    ).first()
    return ("on-treatment", None) if given is not None else ("not-started", None)


def rescreen_of(db: Database, actor: Actor, *, subject_id: int) -> int | None:
    """The earlier screening attempt a subject re-screens, or None."""
    with reading(db, actor=actor) as ctx:
        subject = ctx.session.get(Subject, subject_id)
        if subject is None:
            raise NotFound(f"no subject {subject_id}", path=("subject_id",), value=subject_id)
        ctx.require("subject.read", subject.site_id)
        value = ctx.session.scalars(
            select(AuditEvent.new_value).where(
                AuditEvent.event_type == "rescreen",
                AuditEvent.entity_type == "subject",
                AuditEvent.entity_id == str(subject_id),
            )
        ).first()
        return None if value is None else int(value)


@dataclass(frozen=True)
class ScreenFailure:
    """One line of the screen-failure log."""

    subject_id: int
    screening_number: str
    reason: str | None


def screen_failure_log(db: Database, actor: Actor, *, study_id: int | None = None) -> list[ScreenFailure]:
    """Every screen-failed subject at the sites the actor may read, with the reason given when it failed."""
    study_id = study_id if study_id is not None else only_study(db)
    with reading(db, actor=actor) as ctx:
        out: list[ScreenFailure] = []
        subjects = ctx.session.scalars(
            select(Subject).where(Subject.study_id == study_id, Subject.status == "screen-failed").order_by(Subject.id)
        )
        for subject in subjects:
            ctx.require("subject.read", subject.site_id)
            reason = ctx.session.scalars(
                select(AuditEvent.reason)
                .where(
                    AuditEvent.entity_type == "subject",
                    AuditEvent.entity_id == str(subject.id),
                    AuditEvent.field == "status",
                    AuditEvent.new_value == '"screen-failed"',
                )
                .order_by(AuditEvent.seq.desc())
            ).first()
            out.append(ScreenFailure(subject.id, subject.screening_number, reason))
        return out
