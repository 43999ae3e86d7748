"""Source data verification (SDV): a monitor marks a form, or single items of it, as checked against the source.

Statuses: ``not-verified``, ``verified`` and ``changed-since`` (verified, then the verified value changed). Only a
holder of ``sdv.set`` at the form's site (the monitor) sets them; a locked or voided form cannot be verified. When
form data change, :func:`reset_changed` (called by :func:`dermtrial.services.review.after_change`) turns every
verification the change touches into ``changed-since``: an item's when that item's value changed, the whole form's
when any item changed.

A form's overall status (:func:`form_sdv`): the whole-form row's status if there is one; otherwise ``verified`` when
every item with a value is verified, ``changed-since`` when any verified item changed, ``partially-verified`` when
some are verified, else ``not-verified``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select

from dermtrial.services.access import Actor
from dermtrial.services.locks import ensure_unlocked
from dermtrial.services.records import Located, check_form_field, locate, refuse
from dermtrial.services.uow import ServiceUnitOfWork, reading, unit_of_work
from dermtrial.store.audit import canonical_value
from dermtrial.store.engine import Database
from dermtrial.store.models import SdvStatus

SETTABLE = ("verified", "not-verified")
VERIFY_REASON = "verified against source documents"
FormSdvStatus = Literal["not-verified", "partially-verified", "verified", "changed-since"]


def _row(work: ServiceUnitOfWork, form_id: int, item: str | None) -> SdvStatus | None:
    query = select(SdvStatus).where(
        SdvStatus.form_instance_id == form_id,
        SdvStatus.field.is_(None) if item is None else SdvStatus.field == item,
    )
    return work.session.scalars(query).first()


def set_sdv(
    db: Database,
    actor: Actor,
    *,
    form_id: int,
    status: str,
    now: dt.datetime,
    item: str | None = None,
    reason: str | None = None,
) -> None:
    """Set the SDV status of a whole form (``item`` None) or of one item. Un-verifying needs a reason."""
    if status not in SETTABLE:
        raise refuse("status", status, f"a monitor sets one of {', '.join(SETTABLE)}")
    if status == "not-verified" and not (reason and reason.strip()):
        raise refuse("reason", reason, "withdrawing a verification needs a reason")
    reason = reason.strip() if reason and reason.strip() else VERIFY_REASON
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        located = locate(work.session, "form_instance", form_id)
        work.require("sdv.set", located.site.id)
        if item is not None:
            check_form_field(work.session, located, item)
        if located.record.voided:
            raise refuse("form_id", form_id, f"{located.name} is voided; a voided form is not verified")
        ensure_unlocked(work.session, located)
        stamp = {"verified_at": now, "verified_by_user_id": actor.user_id} if status == "verified" else {}
        row = _row(work, form_id, item)
        if row is None:
            row = SdvStatus(form_instance_id=form_id, field=item, status=status, **stamp)
            work.add(row, **located.audit_place())
        else:
            work.change(row, {"status": status, **stamp}, expected_version=None, **located.audit_place())


def reset_changed(
    work: ServiceUnitOfWork, located: Located, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[str]:
    """Mark ``changed-since`` every verification of the located form that a change of item values touches.

    ``before`` and ``after`` are the form's item values around the change. Returns the items (``(form)`` for the
    whole form) whose verification was reset.
    """
    changed = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
    if not changed:
        return []
    query = select(SdvStatus).where(SdvStatus.form_instance_id == located.entity_id, SdvStatus.status == "verified")
    reset: list[str] = []
    for row in work.session.scalars(query.order_by(SdvStatus.id)):
        if row.field is None:
            why = f"verified data changed: {', '.join(sorted(changed))}"
        elif row.field.split("[", 1)[0] in changed:
            key = row.field.split("[", 1)[0]
            why = f"verified value of {key} changed from {canonical_value(before.get(key))} to " + canonical_value(
                after.get(key)
            )
        else:
            continue
        work.change(row, {"status": "changed-since"}, expected_version=None, reason=why, **located.audit_place())
        reset.append(row.field or "(form)")
    return reset


@dataclass(frozen=True)
class FormSdv:
    """SDV of one form: the overall status and the status of each item verified one by one."""

    form_id: int
    status: FormSdvStatus
    form_row: str | None
    items: dict[str, str] = field(default_factory=dict)


def _overall(form_row: str | None, items: dict[str, str], entered: set[str]) -> FormSdvStatus:
    if form_row in {"verified", "changed-since"}:
        return form_row  # type: ignore[return-value]
    values = set(items.values())
    if "changed-since" in values:
        return "changed-since"
    verified = {key for key, value in items.items() if value == "verified"}
    if verified and entered <= verified:
        return "verified"
    return "partially-verified" if verified else "not-verified"


def form_sdv(db: Database, actor: Actor, *, form_id: int) -> FormSdv:
    """The SDV status of a form and of its items (``subject.read`` at its site)."""
    with reading(db, actor=actor) as ctx:
        located = locate(ctx.session, "form_instance", form_id)
        ctx.require("subject.read", located.site.id)
        rows = list(ctx.session.scalars(select(SdvStatus).where(SdvStatus.form_instance_id == form_id)))
        form_row = next((row.status for row in rows if row.field is None), None)
        items = {row.field: row.status for row in rows if row.field is not None}
        entered = {key for key, value in located.record.item_values.items() if value not in (None, "")}
        return FormSdv(form_id, _overall(form_row, items, entered), form_row, items)
