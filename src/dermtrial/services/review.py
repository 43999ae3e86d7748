"""What a change to study data does to its review: locks refuse it, verifications and signatures lose their hold.

A use case that changes a study record calls, inside its unit of work::

    located = locate(work.session, "form_instance", form_id)
    before = before_change(work.session, located)          # refuses a locked record (RecordLocked)
    work.change(form, {"item_values": new_items}, expected_version=v, reason=reason, **located.audit_place())
    after_change(work, located, before)                     # SDV reset, signatures invalidated, all audited

so that a write to a locked record is refused, an item verified by a monitor becomes ``changed-since`` when its
value changes, and a signature over data that changed is invalidated, in the same transaction as the change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dermtrial.services.locks import ensure_unlocked
from dermtrial.services.records import Located
from dermtrial.services.sdv import reset_changed
from dermtrial.services.signatures import invalidate_changed, signed_content
from dermtrial.services.uow import ServiceUnitOfWork
from dermtrial.store.models import FormInstance


def before_change(session: Session, located: Located) -> dict[str, Any]:
    """Refuse the change if a lock covers the record; return its content to compare with after the change."""
    ensure_unlocked(session, located)
    content = signed_content(located.record)["values"]
    return {key: (dict(value) if isinstance(value, dict) else value) for key, value in content.items()}


def after_change(work: ServiceUnitOfWork, located: Located, before: dict[str, Any]) -> dict[str, Any]:
    """Reset the SDV the change touched and invalidate the signatures it broke; returns what was done."""
    after = signed_content(located.record)["values"]
    changed = sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
    done: dict[str, Any] = {"changed": changed, "sdv_reset": [], "signatures_invalidated": 0}
    if not changed:
        return done
    if isinstance(located.record, FormInstance):
        done["sdv_reset"] = reset_changed(
            work, located, before.get("item_values") or {}, located.record.item_values or {}
        )
    done["signatures_invalidated"] = invalidate_changed(work, located, f"{', '.join(changed)} of {located.name}")
    return done
