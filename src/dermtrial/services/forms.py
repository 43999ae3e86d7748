"""Use cases on case report forms: save a form instance (first entry or a change), checked against the protocol.

The form's definition comes from the study's protocol snapshot (never from a file that may have changed since):
item codes must be declared on the form, coded values must be in their code list, numbers in their range. Stored
``item_values`` are item code → value for the form's non-repeating items, and group id → list of rows (item code
→ value) for a repeating group. A scored instrument's items are its dotted codes (``head.erythema``); once the form
is saved as ``complete`` the instrument scores it and the result is stored beside the items with the scoring
version. A full birth date (``DM.BRTHDAT``) is identifying: it is kept in ``subject_identity`` (audited as a keyed
hash) and the form keeps its year, so the clear date never enters the audit chain or an export.

Changes after first entry need a reason and the version the caller read (a stale version is a
:class:`~dermtrial.services.errors.Conflict` showing both values); every change is one audit event in the same
transaction. :func:`save_forms` enters several new forms of one subject (a visit's forms) in one unit of work: the
subject, permission, protocol, visit and locks are read once, every entry is checked before anything is written
(a fault names its entry, ``forms[2].item_values.SYSBP``), and one bad entry stores none of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dermtrial.errors import InvalidInput, Path, Problem, problems_from_validation_error
from dermtrial.forms.model import Form, Item
from dermtrial.instruments import INSTRUMENTS
from dermtrial.protocol.model import Protocol
from dermtrial.services.access import Actor
from dermtrial.services.errors import NotFound, invalid
from dermtrial.services.locks import ensure_unlocked
from dermtrial.services.records import locate
from dermtrial.services.review import after_change, before_change
from dermtrial.services.uow import ServiceUnitOfWork, unit_of_work
from dermtrial.store.engine import Database, batch_memo
from dermtrial.store.models import FormInstance, Site, Study, Subject, SubjectIdentity, Visit

#: Form items whose full value is identifying, and the ``subject_identity`` column that keeps it. The full value is
#: stored there (audited as a keyed hash, never in clear); the form keeps the year, as SDTM's DM.BRTHDTC may.
IDENTIFYING_ITEMS = {"BRTHDAT": "birth_date"}

#: Statuses a data-entry save may set; verification, signature and locks belong to their own use cases.
ENTRY_STATUSES = ("in-progress", "complete", "not-done")

_protocols: dict[str, Protocol] = {}
#: Read on every save; built once.
_PROTOCOL_HASH = select(Study.protocol_content_hash).where(Study.id == bindparam("study_id"))


def study_protocol(session: Session, study_id: int) -> Protocol:
    """The study's protocol as stored in its snapshot (parsed once per content hash; read once per batch)."""
    memo, key = batch_memo(session), ("study_protocol", study_id)
    digest = memo.get(key) if memo is not None else None
    if digest is None:
        digest = session.scalar(_PROTOCOL_HASH, {"study_id": study_id})
        if memo is not None and digest is not None:
            memo[key] = digest
    if digest is None:
        raise NotFound(f"no study {study_id}", path=("study",), value=study_id)
    protocol = _protocols.get(digest)
    if protocol is None:
        snapshot = session.scalar(select(Study.protocol_snapshot).where(Study.id == study_id))
        protocol = _protocols[digest] = Protocol.model_validate(snapshot)
    return protocol


def find_form(protocol: Protocol, form_code: str) -> Form:
    """The protocol's form with ``form_code``, or InvalidInput listing the codes there are."""
    for form in protocol.forms:
        if form.code == form_code:
            return form
    raise invalid("form_code", form_code, f"not a form of the protocol ({', '.join(f.code for f in protocol.forms)})")


@dataclass(frozen=True)
class SavedForm:
    """What a save returns: the form instance, its new version and its derived result (if scored)."""

    form_id: int
    version: int
    derived: dict[str, Any] | None


@dataclass(frozen=True)
class NewForm:
    """One new form for :func:`save_forms`: its code, its item values and the entry status it is saved with."""

    form_code: str
    item_values: Mapping[str, Any]
    status: str = "in-progress"


def save_form(
    db: Database,
    actor: Actor,
    *,
    subject_id: int,
    form_code: str,
    item_values: Mapping[str, Any],
    now: dt.datetime,
    visit_id: int | None = None,
    form_id: int | None = None,
    expected_version: int | None = None,
    status: str = "in-progress",
    reason: str | None = None,
    request_id: str | None = None,
) -> SavedForm:
    """Enter a form (``form_id`` None) or change one (``form_id`` and ``expected_version``, with a ``reason``).

    A change merges ``item_values`` into the stored values (an item given as None is cleared).
    """
    if status not in ENTRY_STATUSES:
        raise invalid("status", status, f"a data-entry save sets one of {', '.join(ENTRY_STATUSES)}")
    if form_id is not None and expected_version is None:
        raise invalid("expected_version", None, "a change needs the version you read (optimistic concurrency)")
    with unit_of_work(db, actor=actor, now=now, reason=reason, request_id=request_id) as work:
        session = work.session
        subject, protocol = _writable(work, subject_id)
        form_def, codelists = find_form(protocol, form_code), _codelists(protocol)
        site = session.get_one(Site, subject.site_id)  # held: the lock check below finds it in the identity map
        site_code = site.code
        if form_id is None:
            check_items(form_def, item_values, codelists)
            entry = NewForm(form_code, item_values, status)
            return _enter(work, subject, site_code, protocol, visit_id, [(form_def, entry)], where=())[0]
        stored = session.get(FormInstance, form_id)
        if stored is None or stored.subject_id != subject_id or stored.form_code != form_code:
            raise NotFound(f"no {form_code} form {form_id} of subject {subject_id}", path=("form_id",), value=form_id)
        located = locate(session, "form_instance", form_id)
        before = before_change(session, located)  # a locked form is refused
        check_items(form_def, item_values, codelists)
        merged = {**stored.item_values, **_keep_identifying_apart(work, subject, site_code, item_values)}
        derived, instrument, version = _score(form_def, merged, status, protocol)
        changes: dict[str, Any] = {"item_values": merged, "status": status, "derived": derived}
        changes.update(instrument_code=instrument, instrument_version=version)
        work.change(
            stored,
            changes,
            expected_version=expected_version,
            study_id=subject.study_id,
            site_code=site_code,
            subject_id=subject.id,
        )
        after_change(work, located, before)  # SDV of changed items reset, broken signatures invalidated
        session.flush()
        return SavedForm(stored.id, stored.version, stored.derived)


def save_forms(
    db: Database,
    actor: Actor,
    *,
    subject_id: int,
    forms: Sequence[NewForm],
    now: dt.datetime,
    visit_id: int | None = None,
    request_id: str | None = None,
) -> list[SavedForm]:
    """Enter several new forms of one subject (all on ``visit_id`` when given) in one unit of work, in order.

    Each entry gets the checks, identity handling, scoring, stored row and ``create`` event :func:`save_form` gives
    a first entry; the subject, permission, protocol, visit and locks are read once. Every entry is checked before
    anything is written; faults name their entry (``forms[1].item_values.SYSBP``) and none of the forms is stored.
    Changes to stored forms go through :func:`save_form`.
    """
    if not forms:
        raise invalid("forms", [], "at least one form")
    problems = [
        Problem(("forms", index, "status"), f"a data-entry save sets one of {', '.join(ENTRY_STATUSES)}", entry.status)
        for index, entry in enumerate(forms)
        if entry.status not in ENTRY_STATUSES
    ]
    if problems:
        raise InvalidInput(problems)
    with unit_of_work(db, actor=actor, now=now, request_id=request_id) as work:
        session = work.session
        subject, protocol = _writable(work, subject_id)
        codelists = _codelists(protocol)
        checked: list[tuple[Form, NewForm]] = []
        for index, entry in enumerate(forms):
            try:
                form_def = find_form(protocol, entry.form_code)
                check_items(form_def, entry.item_values, codelists)
            except InvalidInput as exc:
                problems.extend(_within(("forms", index), exc))
                continue
            checked.append((form_def, entry))
        if problems:
            raise InvalidInput(problems)
        site = session.get_one(Site, subject.site_id)  # held: the lock check in _enter finds it in the identity map
        return _enter(work, subject, site.code, protocol, visit_id, checked, where=("forms",))


def _writable(work: ServiceUnitOfWork, subject_id: int) -> tuple[Subject, Protocol]:
    """The subject (NotFound if none) after checking ``form.write`` at its site, and its study's protocol."""
    subject = work.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound(f"no subject {subject_id}", path=("subject_id",), value=subject_id)
    work.require("form.write", subject.site_id)
    return subject, study_protocol(work.session, subject.study_id)


def _within(prefix: Path, exc: InvalidInput) -> list[Problem]:
    """The problems of ``exc`` with their paths under ``prefix`` (an entry of a batch)."""
    return [Problem((*prefix, *p.path), p.message, p.source, p.line, p.column, p.value) for p in exc.problems]


def _enter(
    work: ServiceUnitOfWork,
    subject: Subject,
    site_code: str,
    protocol: Protocol,
    visit_id: int | None,
    entries: Sequence[tuple[Form, NewForm]],
    *,
    where: Path,
) -> list[SavedForm]:
    """Store new forms whose items were checked: visit and locks checked once, then every entry's identifying
    values set apart and its instrument scored (faults under ``where`` + the entry's index when ``where`` is given),
    and only then each entry's identity, row and ``create`` event, in order."""
    session = work.session
    if visit_id is not None:
        _check_visit(session, visit_id, subject.id)
    ensure_unlocked(session, locate(session, "visit" if visit_id else "subject", visit_id or subject.id))
    prepared: list[tuple[Form, str, dict[str, Any], dict[str, str], tuple[Any, str | None, str | None]]] = []
    problems: list[Problem] = []
    form_who = identity_who = work.who
    for index, (form_def, entry) in enumerate(entries):
        values, identity = _identifying_apart(entry.item_values)
        if identity and identity_who is form_who:
            work.require("identity.write", subject.site_id)  # its role is on the identity's and the form's events
            identity_who, work.who = work.who, form_who
        try:
            scored = _score(form_def, values, entry.status, protocol)
        except InvalidInput as exc:
            if not where:
                raise
            problems.extend(_within((*where, index), exc))
            continue
        prepared.append((form_def, entry.status, values, identity, scored))
    if problems:
        raise InvalidInput(problems)
    saved = []
    for form_def, status, values, identity, (derived, instrument, version) in prepared:
        work.who = identity_who if identity else form_who
        if identity:
            _store_identity(work, subject, site_code, identity)
        record = FormInstance(
            subject_id=subject.id,
            visit_id=visit_id,
            form_code=form_def.code,
            form_version=form_def.version,
            status=status,
            item_values=values,
            derived=derived,
            instrument_code=instrument,
            instrument_version=version,
        )
        work.add(record, study_id=subject.study_id, site_code=site_code, subject_id=subject.id)
        saved.append(SavedForm(record.id, record.version, record.derived))
    return saved


def _identifying_apart(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The values a form keeps (the year of a birth date) and the ``subject_identity`` columns of the full values."""
    kept = dict(values)
    found = {item: kept[item] for item in IDENTIFYING_ITEMS if isinstance(kept.get(item), str) and len(kept[item]) > 4}
    if not found:
        return kept, {}
    columns = {IDENTIFYING_ITEMS[item]: value for item, value in found.items()}
    return kept | {item: value[:4] for item, value in found.items()}, columns


def _keep_identifying_apart(
    work: ServiceUnitOfWork, subject: Subject, site_code: str, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Move full identifying values (a birth date) to ``subject_identity``; return the values the form keeps."""
    kept, columns = _identifying_apart(values)
    if columns:
        work.require("identity.write", subject.site_id)
        _store_identity(work, subject, site_code, columns)
    return kept


def _store_identity(work: ServiceUnitOfWork, subject: Subject, site_code: str, columns: dict[str, str]) -> None:
    """Add or change the subject's ``subject_identity`` row (audited as keyed hashes)."""
    study_id, subject_id = subject.study_id, subject.id
    identity = work.session.get(SubjectIdentity, subject.id)
    if identity is None:
        identity = SubjectIdentity(subject_id=subject.id, updated_at=work.now, **columns)
        work.add(identity, study_id=study_id, site_code=site_code, subject_id=subject_id)
    else:
        work.change(identity, columns, expected_version=identity.version, study_id=study_id, site_code=site_code,
                    subject_id=subject_id)  # fmt: skip


def _check_visit(session: Session, visit_id: int, subject_id: int) -> None:
    visit = session.get(Visit, visit_id)
    if visit is None or visit.subject_id != subject_id:
        raise NotFound(f"no visit {visit_id} of subject {subject_id}", path=("visit_id",), value=visit_id)


_codelist_maps: dict[int, dict[str, dict[str, str]]] = {}


def _codelists(protocol: Protocol) -> dict[str, dict[str, str]]:
    """Code list id → code → label (protocols are cached, so their id is stable)."""
    found = _codelist_maps.get(id(protocol))
    if found is None:
        found = _codelist_maps[id(protocol)] = {c.id: {e.code: e.label for e in c.entries} for c in protocol.codelists}
    return found


def _score(
    form_def: Form, values: dict[str, Any], status: str, protocol: Protocol
) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """Score a complete instrument form: (result, instrument, scoring version), kept beside the items.

    The Zung scales are converted to their index with the protocol's ``settings.zung_conversion``.
    """
    if form_def.instrument is None or status != "complete":
        return None, None, None
    entry = INSTRUMENTS[form_def.instrument]
    options = {"conversion": protocol.settings.zung_conversion} if entry.name.startswith("zung-") else {}
    try:
        result = entry.validate_and_score(entry.input_from_form_items(values, **options))
    except ValidationError as exc:
        raise InvalidInput(problems_from_validation_error(exc, prefix=("item_values",))) from None
    return result.to_json(), entry.name, result.version


def check_items(form_def: Form, values: Mapping[str, Any], codelists: Mapping[str, Mapping[str, str]]) -> None:
    """Refuse item codes the form does not declare and values outside their type, code list or range."""
    problems: list[Problem] = []
    if form_def.instrument is not None:
        known = {item.code for item in INSTRUMENTS[form_def.instrument].metadata.items}
        for code in values:
            if code not in known:
                problems.append(_problem(code, values[code], f"not an item of {form_def.code}: {', '.join(known)}"))
    else:
        flat = {item.id: item for group in form_def.item_groups if not group.repeating for item in group.items}
        groups = {g.id: {item.id: item for item in g.items} for g in form_def.item_groups if g.repeating}
        for code, value in values.items():
            if code in flat:
                problems.extend(_check_value(flat[code], value, (code,), codelists))
            elif code in groups:
                if not isinstance(value, list):
                    problems.append(_problem(code, value, "a repeating group is a list of rows"))
                    continue
                for index, row in enumerate(value):
                    for item_code, item_value in row.items() if isinstance(row, dict) else [("", row)]:
                        item = groups[code].get(item_code)
                        where = (code, index, item_code)
                        if item is None:
                            allowed = ", ".join(groups[code])
                            problems.append(Problem(where, f"not an item of group {code}: {allowed}", item_value))
                        else:
                            problems.extend(_check_value(item, item_value, where, codelists))
            else:
                allowed = ", ".join([*flat, *groups])
                problems.append(_problem(code, value, f"not an item of {form_def.code}: {allowed}"))
    if problems:
        raise InvalidInput(problems)


def _problem(code: str, value: Any, message: str) -> Problem:
    return Problem(("item_values", code), message, value=value)


def _check_value(
    item: Item, value: Any, where: tuple[str | int, ...], codelists: Mapping[str, Mapping[str, str]]
) -> list[Problem]:
    path = ("item_values", *where)
    if value is None:
        return []
    if item.type in {"choice", "multi_choice"}:
        codes = codelists.get(item.codelist or "", {})
        given = value if isinstance(value, list) and item.type == "multi_choice" else [value]
        bad = [code for code in given if code not in codes]
        return [Problem(path, f"not a code of {item.codelist}: {', '.join(codes)}", value=code) for code in bad]
    if item.type == "boolean":
        return [] if isinstance(value, bool) else [Problem(path, "must be true or false", value=value)]
    if item.type in {"integer", "decimal"}:
        return _check_number(item, value, path)
    if not isinstance(value, str):
        return [Problem(path, f"a {item.type} item is text", value=value)]
    if item.type in {"date", "datetime", "time"}:
        parsers: dict[str, Callable[[str], object]] = {
            "date": dt.date.fromisoformat,
            "datetime": dt.datetime.fromisoformat,
            "time": dt.time.fromisoformat,
        }
        try:
            parsers[item.type](value)
        except ValueError:
            return [Problem(path, f"not an ISO 8601 {item.type}", value=value)]
    if item.type == "partial_date" and not _partial_date(value):
        return [Problem(path, "not an ISO 8601 date: YYYY, YYYY-MM or YYYY-MM-DD", value=value)]
    return []


def _partial_date(value: str) -> bool:
    for pattern in ("%Y", "%Y-%m", "%Y-%m-%d"):
        try:
            dt.datetime.strptime(value, pattern)  # noqa: DTZ007 (a calendar date, no time zone)
            return len(value) == {"%Y": 4, "%Y-%m": 7, "%Y-%m-%d": 10}[pattern]
        except ValueError:
            continue
    return False


def _check_number(item: Item, value: Any, path: tuple[str | int, ...]) -> list[Problem]:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return [Problem(path, f"a {item.type} is a whole number or text (to keep its precision)", value=value)]
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return [Problem(path, f"not a {item.type}", value=value)]
    if not number.is_finite():
        return [Problem(path, f"not a {item.type}", value=value)]
    exponent = number.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    allowed = 0 if item.type == "integer" else item.decimals
    if allowed is not None and decimals > allowed:
        return [Problem(path, f"at most {allowed} decimal(s)", value=value)]
    low = Decimal(str(item.min)) if item.min is not None else None
    high = Decimal(str(item.max)) if item.max is not None else None
    if (low is not None and number < low) or (high is not None and number > high):
        unit = f" {item.unit}" if item.unit else ""
        return [Problem(path, f"outside {item.min}–{item.max}{unit}", value=value)]
    return []
