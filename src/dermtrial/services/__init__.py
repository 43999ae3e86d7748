"""Use cases: the only layer that calls the core and writes the store.

How to write a use case
-----------------------
One plain function per use case, in the module of its area (``accounts``, ``studies``, later ``queries``, ``sdv``,
``locks``, ``signatures`` …). It takes the :class:`~dermtrial.store.engine.Database`, the
:class:`~dermtrial.services.access.Actor`, its inputs and ``now`` (UTC, passed in), and:

1. validates its inputs, raising :class:`~dermtrial.errors.InvalidInput` (``errors.invalid(field, value, what is
   allowed)``) before anything is written;
2. opens **one** unit of work and checks permission and site scope first::

       with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
           subject = work.session.get(Subject, subject_id)            # NotFound if None
           work.require("form.write", subject.site_id)                # PermissionDenied; events carry the role
           work.add(record, study_id=…, site_code=…, subject_id=…)     # first entry: a "create" event
           work.change(record, {"item_values": …}, expected_version=v, reason=reason, …)  # "update" per field
           work.void(record, expected_version=v, reason=reason, …)     # never delete
           work.record("config-change", …)                             # any other audited fact

   Leaving the block commits once: the changes and their hash-chained audit events together. Raising anywhere rolls
   everything back, so a refused call writes nothing, not even an audit event. (A failure that must itself be
   audited, like a failed sign-in, is recorded in the unit of work and raised *after* the block.)
3. reads go through ``with reading(db, actor=actor) as ctx: ctx.require("subject.read", site_id)``; lists filter
   by :func:`~dermtrial.services.access.permitted_sites`.
4. a use case that changes study data respects its review state, in the same unit of work: ``located =
   records.locate(work.session, table, key)``; ``before = review.before_change(work.session, located)`` (refuses a
   locked record: :class:`~dermtrial.services.locks.RecordLocked`); the change; ``review.after_change(work, located,
   before)`` (resets the SDV of changed items, invalidates signatures over changed data). A new record checks the
   locks of its visit or subject with :func:`~dermtrial.services.locks.ensure_unlocked`. A task the delegation log
   governs (assessing PASI/sPGA, signing, causality) checks ``delegation.require_delegated(work, permission, task,
   site)`` instead of ``work.require``.

Errors (:mod:`dermtrial.services.errors`): NotFound, PermissionDenied, AuthenticationFailed/AccountLocked, Conflict
(duplicates, stale versions with both values), ReasonRequired, InvalidInput; each names the field, the value and what
is allowed; ``http_status`` maps them at the web edge, the CLI exits 2.
"""

from dermtrial.services.access import Actor, access_model, permitted_sites, require
from dermtrial.services.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ReasonRequired,
    ServiceError,
    http_status,
)
from dermtrial.services.uow import ReadContext, ServiceUnitOfWork, reading, unit_of_work

__all__ = [
    "AccountLocked",
    "Actor",
    "AuthenticationFailed",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "ReadContext",
    "ReasonRequired",
    "ServiceError",
    "ServiceUnitOfWork",
    "access_model",
    "http_status",
    "permitted_sites",
    "reading",
    "require",
    "unit_of_work",
]
