"""Adverse events: record and correct an event, and assess its relatedness to each study product.

An event is entered with the investigator's verbatim text, its CTCAE v5.0 term (:mod:`dermtrial.safety.terms`),
start and stop dates as entered (partial allowed, imputed only in analysis: :mod:`dermtrial.safety.dates`), its CTCAE
grade 1–5, the ICH E2A seriousness criteria met (serious when any), the action taken and the outcome (the protocol's
``action_taken`` and ``outcome`` code lists). Expectedness is computed, product by product, from the term and each
product's reference safety information in the protocol file, and stored beside the event (recomputed when the term
changes). Relatedness is assessed per product by someone the delegation log allows to assess causality.

Every write goes through one unit of work (audited), after ``ae.write`` (or the delegated ``assess-causality``) at the
subject's site and the lock check; a change needs a reason and the version read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dermtrial.errors import InvalidInput, Problem
from dermtrial.protocol.model import Protocol
from dermtrial.safety.dates import PartialDate
from dermtrial.safety.expectedness import is_expected
from dermtrial.safety.relatedness import check_relatedness
from dermtrial.safety.seriousness import check_seriousness, is_serious
from dermtrial.safety.terms import check_term
from dermtrial.services.access import Actor
from dermtrial.services.delegation import require_delegated
from dermtrial.services.forms import study_protocol
from dermtrial.services.locks import ensure_unlocked
from dermtrial.services.records import Located, locate
from dermtrial.services.review import after_change, before_change
from dermtrial.services.subjects import load_subject
from dermtrial.services.uow import ServiceUnitOfWork, unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import AdverseEvent


@dataclass(frozen=True)
class AdverseEventInput:
    """An adverse event as entered at the site."""

    verbatim: str
    term: str
    start: str
    grade: int
    stop: str | None = None
    seriousness: tuple[str, ...] = ()
    action_taken: str | None = None
    outcome: str | None = None


def _codes(protocol: Protocol, codelist: str) -> list[str]:
    return [entry.code for c in protocol.codelists if c.id == codelist for entry in c.entries]


def check_event(event: AdverseEventInput, protocol: Protocol) -> None:
    """Refuse an event with every problem named (field, value, what is allowed)."""
    problems: list[Problem] = []

    def bad(name: str, value: Any, message: str) -> None:
        problems.append(Problem((name,), message, value=value))

    if not event.verbatim.strip():
        bad("verbatim", event.verbatim, "is required: the event as reported")
    if (message := check_term(event.term)) is not None:
        bad("term", event.term, message)
    dates: dict[str, PartialDate] = {}
    for name, value in (("start", event.start), ("stop", event.stop)):
        if value is None:
            continue
        try:
            dates[name] = PartialDate.parse(value)
        except ValueError as exc:
            bad(name, value, str(exc))
    if "start" in dates and "stop" in dates:
        first, last = dates["start"].isoformat(), dates["stop"].isoformat()
        known = min(len(first), len(last))
        if last[:known] < first[:known]:
            bad("stop", event.stop, f"is before the start {event.start}")
    if isinstance(event.grade, bool) or event.grade not in (1, 2, 3, 4, 5):
        bad("grade", event.grade, f"{event.grade!r} is not allowed: a CTCAE grade 1–5")
    if (message := check_seriousness(event.seriousness)) is not None:
        bad("seriousness", list(event.seriousness), message)
    for name, value in (("action_taken", event.action_taken), ("outcome", event.outcome)):
        allowed = _codes(protocol, name)
        if value is not None and allowed and value not in allowed:
            bad(name, value, f'"{value}" is not allowed: one of {", ".join(allowed)}')
    if event.outcome == "FATAL" and (event.grade != 5 or "death" not in event.seriousness):
        bad("outcome", event.outcome, "a fatal outcome is CTCAE grade 5 with the seriousness criterion death")
    if problems:
        raise InvalidInput(problems)


def expectedness_of(term: str, protocol: Protocol) -> dict[str, bool]:
    """Product id → whether ``term`` is in that product's reference safety information."""
    return {product.id: is_expected(term, product) for product in protocol.interventions}


def _columns(event: AdverseEventInput, protocol: Protocol) -> dict[str, Any]:
    return {
        "term": event.verbatim,
        "coded_term": event.term,
        "onset_local": event.start,
        "resolved_local": event.stop,
        "grade": event.grade,
        "serious": is_serious(event.seriousness),
        "seriousness": list(event.seriousness),
        "expectedness": expectedness_of(event.term, protocol),
        "action_taken": event.action_taken,
        "outcome": event.outcome,
    }


def record_adverse_event(
    db: Database, actor: Actor, *, subject_id: int, event: AdverseEventInput, now: dt.datetime
) -> int:
    """Store a new adverse event (``ae.write`` at the subject's site); returns its id."""
    with unit_of_work(db, actor=actor, now=now, reason="adverse event") as work:
        ctx = load_subject(work, subject_id, "ae.write")
        check_event(event, ctx.protocol)
        ensure_unlocked(work.session, locate(work.session, "subject", subject_id))
        record = AdverseEvent(subject_id=subject_id, local_tz=ctx.site.timezone, **_columns(event, ctx.protocol))
        work.add(record, **ctx.place())
        return record.id


def _load(work: ServiceUnitOfWork, event_id: int) -> tuple[Located, Protocol]:
    located = locate(work.session, "adverse_event", event_id)
    return located, study_protocol(work.session, located.study_id)


def update_adverse_event(
    db: Database,
    actor: Actor,
    *,
    event_id: int,
    event: AdverseEventInput,
    expected_version: int,
    reason: str,
    now: dt.datetime,
) -> list[str]:
    """Correct an event (``ae.write``, a reason, the version read); expectedness follows the term. Returns changes."""
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        located, protocol = _load(work, event_id)
        work.require("ae.write", located.site.id)
        check_event(event, protocol)
        before = before_change(work.session, located)
        changed = work.change(
            located.record, _columns(event, protocol), expected_version=expected_version, **located.audit_place()
        )
        after_change(work, located, before)
        return changed


def assess_causality(
    db: Database,
    actor: Actor,
    *,
    event_id: int,
    relatedness: Mapping[str, str],
    expected_version: int,
    now: dt.datetime,
    reason: str = "causality assessment",
) -> list[str]:
    """Record the relatedness of the event to every study product (delegated task ``assess-causality``)."""
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        located, protocol = _load(work, event_id)
        require_delegated(work, "ae.assess-causality", "assess-causality", located.site)
        products = [p.id for p in protocol.interventions]
        problems = [
            Problem(("relatedness", key), f'"{key}" is not a study product: one of {", ".join(products)}', value=key)
            for key in relatedness
            if key not in products
        ]
        problems += [
            Problem(("relatedness", key), message, value=value)
            for key, value in relatedness.items()
            if (message := check_relatedness(value)) is not None
        ]
        problems += [
            Problem(("relatedness", key), "is required: every study product is assessed", value=None)
            for key in products
            if key not in relatedness
        ]
        if problems:
            raise InvalidInput(problems)
        before = before_change(work.session, located)
        changed = work.change(
            located.record, {"relatedness": dict(relatedness)}, expected_version=expected_version,
            **located.audit_place(),
        )  # fmt: skip
        after_change(work, located, before)
        return changed
