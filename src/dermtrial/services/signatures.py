"""Electronic signatures in the manner of 21 CFR Part 11 (§11.50, §11.70, §11.200).

A signature is made by the signed-in user re-entering their password (argon2 verification) and choosing what it
means (:data:`MEANINGS`). It stores the signer's full name, the UTC time and the meaning, shown with the record
(:attr:`SignatureView.manifestation`), and is linked to the record by the SHA-256 of the canonical encoding of the
record's content (:func:`record_sha256`), so that it cannot be copied to other data. When the signed data change
the signature is invalidated: kept and shown as invalid, with the time and the change, never deleted. Reading a
signature re-computes the hash, so a change that did not pass through :func:`invalidate_changed` still shows it
invalid.

Signing a form (or an adverse event, a lab result …) needs ``form.sign`` and the task ``sign-forms`` in the
delegation log; signing an eligibility decision needs ``eligibility.sign`` and ``sign-eligibility``. A wrong
password is refused and audited (``signature-failed``) and counts towards the sign-in lockout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from dermtrial.services.access import Actor
from dermtrial.services.auth import LOCKOUT, MAX_FAILURES
from dermtrial.services.delegation import require_delegated
from dermtrial.services.errors import AccountLocked, AuthenticationFailed, Conflict, ServiceError
from dermtrial.services.locks import ensure_unlocked
from dermtrial.services.passwords import verify_password
from dermtrial.services.records import Located, locate, refuse
from dermtrial.services.uow import ServiceUnitOfWork, reading, unit_of_work
from dermtrial.store.audit import canonical_value, format_utc
from dermtrial.store.base import Base
from dermtrial.store.engine import Database
from dermtrial.store.models import Signature, User

MEANINGS: dict[str, str] = {
    "authored": "I entered or wrote these data",
    "reviewed": "I have reviewed these data",
    "approved": "I approve these data as correct and complete",
}
"""Meaning → the statement shown with the signature."""

#: Signable table → (permission, delegated task).
SIGNABLE: dict[str, tuple[str, str]] = {
    "form_instance": ("form.sign", "sign-forms"),
    "adverse_event": ("form.sign", "sign-forms"),
    "lab_result": ("form.sign", "sign-forms"),
    "exposure": ("form.sign", "sign-forms"),
    "deviation": ("form.sign", "sign-forms"),
    "consent": ("form.sign", "sign-forms"),
    "eligibility_evaluation": ("eligibility.sign", "sign-eligibility"),
}

#: Columns that are bookkeeping or workflow, not signed content (a form becoming "signed" must not void its signature).
UNSIGNED_COLUMNS = frozenset(
    {"version", "created_at", "created_by_user_id", "updated_at", "updated_by_user_id", "status"}
)


def signed_content(record: Base) -> dict[str, Any]:
    """The record's content that a signature covers: its table and every column but bookkeeping and status."""
    values = {
        column.key: _exact(getattr(record, column.key))
        for column in inspect(type(record)).column_attrs
        if column.key not in UNSIGNED_COLUMNS
    }
    return {"table": record.__tablename__, "values": values}


def _exact(value: Any) -> Any:
    """A decimal as plain text without trailing zeros, so 42 and 42.000000 (as PostgreSQL returns it) sign alike."""
    if isinstance(value, Decimal) and value.is_finite():
        return format(value.normalize(), "f")
    return value


def record_sha256(record: Base) -> str:
    """SHA-256 (hex) of the canonical JSON of :func:`signed_content` (sorted keys, decimals as text, UTC times)."""
    return hashlib.sha256(canonical_value(signed_content(record)).encode("utf-8")).hexdigest()


def _check_meaning(meaning: str) -> None:
    if meaning not in MEANINGS:
        allowed = ", ".join(MEANINGS)
        raise refuse("meaning", meaning, f"not a signature meaning: expected one of {allowed}")


def _password_failure(work: ServiceUnitOfWork, user: User, located: Located) -> AuthenticationFailed:
    """Record a failed signature (and a lockout at the fifth failure); the error is raised after the commit."""
    user.failed_logins += 1
    work.record(
        "signature-failed",
        entity_type=located.entity_type,
        entity_id=str(located.entity_id),
        new={"cause": "wrong password", "failed_logins": user.failed_logins},
        **located.audit_place(),
    )
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until = work.now + LOCKOUT
        work.record(
            "account-locked",
            entity_type="app_user",
            entity_id=str(user.id),
            field="locked_until",
            new=format_utc(user.locked_until),
        )
    return AuthenticationFailed("the password is wrong; the record was not signed", path=("password",))


def sign_record(
    db: Database, actor: Actor, *, entity_type: str, entity_id: int, password: str, meaning: str, now: dt.datetime
) -> int:
    """Sign a record: re-entered password, meaning; returns the signature's id.

    Refused (nothing written) without permission or delegation, on a locked, voided or already so signed record;
    a wrong password is audited as ``signature-failed`` and raises :class:`AuthenticationFailed`.
    """
    _check_meaning(meaning)
    failure: ServiceError | None = None
    signature_id = 0
    with unit_of_work(db, actor=actor, now=now) as work:
        located = locate(work.session, entity_type, entity_id, allowed=SIGNABLE)
        permission, task = SIGNABLE[entity_type]
        require_delegated(work, permission, task, located.site)
        record = located.record
        if getattr(record, "voided", False):
            raise refuse("entity_id", entity_id, f"{located.name} is voided; a voided record cannot be signed")
        ensure_unlocked(work.session, located)
        user = work.session.get_one(User, actor.user_id)
        if user.locked_until is not None and user.locked_until > now:
            raise AccountLocked(
                f'the account "{user.username}" is locked until {format_utc(user.locked_until)}; it cannot sign',
                path=("username",),
                value=user.username,
            )
        if not verify_password(user.password_hash, password):
            failure = _password_failure(work, user, located)
        else:
            digest = record_sha256(record)
            if _valid_signature(work.session, entity_type, entity_id, user.id, meaning, digest) is not None:
                raise Conflict(
                    f"{located.name} is already signed as {meaning} by {user.username} in this version",
                    path=("meaning",),
                    value=meaning,
                )
            signature = Signature(
                entity_type=entity_type,
                entity_id=entity_id,
                entity_version=getattr(record, "version", 1),
                record_sha256=digest,
                user_id=user.id,
                signer_name=user.full_name,
                meaning=meaning,
                signed_at=now,
            )
            work.add(signature, **located.audit_place())
            signature_id = signature.id
    if failure is not None:
        raise failure
    return signature_id


def _valid_signature(
    session: Session, entity_type: str, entity_id: int, user_id: int, meaning: str, digest: str
) -> Signature | None:
    query = select(Signature).where(
        Signature.entity_type == entity_type,
        Signature.entity_id == entity_id,
        Signature.user_id == user_id,
        Signature.meaning == meaning,
        Signature.record_sha256 == digest,
        Signature.invalidated_at.is_(None),
    )
    return session.scalars(query).first()


def invalidate_changed(work: ServiceUnitOfWork, located: Located, change: str) -> int:
    """After a change to a record in ``work``: invalidate its signatures whose hash no longer matches.

    ``change`` says what changed (it becomes the invalidation reason). Returns how many were invalidated.
    """
    digest = record_sha256(located.record)
    query = select(Signature).where(
        Signature.entity_type == located.entity_type,
        Signature.entity_id == located.entity_id,
        Signature.invalidated_at.is_(None),
    )
    count = 0
    for signature in work.session.scalars(query.order_by(Signature.id)):
        if signature.record_sha256 != digest:
            reason = f"signed data changed: {change}"
            work.change(
                signature,
                {"invalidated_at": work.now, "invalidated_reason": reason},
                expected_version=None,
                reason=reason,
                event_type="signature-invalidated",
                **located.audit_place(),
            )
            count += 1
    return count


@dataclass(frozen=True)
class SignatureView:
    """A signature as shown with the record it signs."""

    id: int
    signer_name: str
    username: str
    meaning: str
    signed_at: dt.datetime
    entity_version: int
    valid: bool
    invalidated_at: dt.datetime | None
    invalidated_reason: str | None

    @property
    def manifestation(self) -> str:
        """``Signed by Li Na (li), approved, 2026-03-04T01:30:00Z`` and, when invalid, why."""
        text = f"Signed by {self.signer_name} ({self.username}), {self.meaning}, {self.signed_at:%Y-%m-%dT%H:%M:%SZ}"
        if not self.valid:
            when = f" since {self.invalidated_at:%Y-%m-%dT%H:%M:%SZ}" if self.invalidated_at else ""
            text += f" — INVALID{when}: {self.invalidated_reason or 'the signed data changed'}"
        return text


def signatures_of(db: Database, actor: Actor, *, entity_type: str, entity_id: int) -> list[SignatureView]:
    """Every signature of a record, valid and invalid, oldest first (``subject.read`` at its site)."""
    with reading(db, actor=actor) as ctx:
        located = locate(ctx.session, entity_type, entity_id, allowed=SIGNABLE)
        ctx.require("subject.read", located.site.id)
        digest = record_sha256(located.record)
        query = select(Signature, User.username).join(User, User.id == Signature.user_id)
        rows = ctx.session.execute(
            query.where(Signature.entity_type == entity_type, Signature.entity_id == entity_id).order_by(Signature.id)
        ).all()
        return [
            SignatureView(
                s.id,
                s.signer_name,
                username,
                s.meaning,
                s.signed_at,
                s.entity_version,
                s.invalidated_at is None and s.record_sha256 == digest,
                s.invalidated_at,
                s.invalidated_reason,
            )
            for s, username in rows
        ]
