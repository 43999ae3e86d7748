"""Data clarification queries on any field of any study record: open, answer, close, re-open; listed with their age.

Life of a query::

    open ──answer──► answered ──close──► closed
     │  ◄──reopen──┘                │
     └──────────close──────────────►│◄──reopen── (back to open)

A query is opened by hand (``query.raise``: monitors, data managers) or by a failed edit check of the protocol
(:func:`open_edit_check_query`, allowed to whoever may enter the form's data, as the check runs on their entry).
The site answers (``query.answer``); the monitor or data manager closes or re-opens (``query.close``). Every step
is a message of the query's thread and an audited change. A query cannot be opened, answered or re-opened on a
locked record (its data could not be corrected); it can still be closed.

The age of a query is counted from its opening to ``now`` (passed in) while it is open or answered, and to its
closing once closed; a re-opened query keeps its first opening as the start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from dermtrial.services.access import Actor, find_site, permitted_sites
from dermtrial.services.errors import Conflict, NotFound, PermissionDenied
from dermtrial.services.locks import ensure_unlocked
from dermtrial.services.records import Located, check_form_field, check_text, locate, protocol_form, refuse
from dermtrial.services.studies import only_study
from dermtrial.services.uow import ServiceUnitOfWork, reading, unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import DataQuery, QueryMessage, Site, Subject, User

STATUSES = ("open", "answered", "closed")
#: action → (statuses it may start from, status it leads to, permission).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "answer": (("open",), "answered", "query.answer"),
    "close": (("open", "answered"), "closed", "query.close"),
    "reopen": (("answered", "closed"), "open", "query.close"),
}
_PAST = {"answer": "answered", "close": "closed", "reopen": "re-opened"}


def _new_query(work: ServiceUnitOfWork, located: Located, **values: object) -> int:
    if located.subject_id is None:
        raise refuse("entity_id", located.entity_id, f"{located.name} has no subject; queries are on subject data")
    query = DataQuery(
        subject_id=located.subject_id,
        entity_type=located.entity_type,
        entity_id=located.entity_id,
        status="open",
        **values,
    )
    work.add(query, **located.audit_place())
    work.add(QueryMessage(query_id=query.id, action="raise", text=query.text), **located.audit_place())
    return query.id


def open_query(
    db: Database, actor: Actor, *, entity_type: str, entity_id: int, field: str | None, text: str, now: dt.datetime
) -> int:
    """Open a query by hand on a field of a record (``field`` None: the whole record). Returns its id."""
    text = check_text("text", text, what="the question")
    with unit_of_work(db, actor=actor, now=now) as work:
        located = locate(work.session, entity_type, entity_id)
        work.require("query.raise", located.site.id)
        if field is not None:
            check_form_field(work.session, located, field)
        ensure_unlocked(work.session, located)
        return _new_query(work, located, field=field, origin="manual", text=text)


def open_edit_check_query(
    db: Database, actor: Actor | None, *, form_id: int, edit_check_id: str, now: dt.datetime
) -> int:
    """Open the query of a failed edit check of the protocol on a form, with the check's message as its text.

    ``actor`` is the user whose entry ran the check (``form.write`` or ``query.raise`` at the site), or None for the
    system re-running checks. A check that already has an unclosed query on the form gets no second one: its id is
    returned. Returns the query's id.
    """
    with unit_of_work(db, actor=actor, now=now) as work:
        located = locate(work.session, "form_instance", form_id)
        if actor is not None:
            try:
                work.require("form.write", located.site.id)
            except PermissionDenied:
                work.require("query.raise", located.site.id)
        form = protocol_form(work.session, located.study_id, located.record.form_code)
        checks = {check["id"]: check for check in form.get("edit_checks", [])}
        if edit_check_id not in checks:
            allowed = ", ".join(checks) or "none"
            raise refuse("edit_check_id", edit_check_id, f"not an edit check of form {form['code']}: {allowed}")
        existing = work.session.scalars(
            select(DataQuery.id).where(
                DataQuery.entity_type == "form_instance",
                DataQuery.entity_id == form_id,
                DataQuery.edit_check_id == edit_check_id,
                DataQuery.status != "closed",
            )
        ).first()
        if existing is not None:
            return existing
        ensure_unlocked(work.session, located)
        check = checks[edit_check_id]
        return _new_query(
            work,
            located,
            field=check.get("item"),
            origin="edit-check",
            edit_check_id=edit_check_id,
            text=check["message"],
        )


def _step(
    db: Database, actor: Actor, action: str, query_id: int, text: str, now: dt.datetime, expected_version: int | None
) -> None:
    starts, target, permission = TRANSITIONS[action]
    text = check_text("text", text, what=f"the {action} text")
    with unit_of_work(db, actor=actor, now=now, reason=f"{action}: {text}") as work:
        query = work.session.get(DataQuery, query_id)
        if query is None:
            raise NotFound(f"no query {query_id}", path=("query_id",), value=query_id)
        located = locate(work.session, query.entity_type, query.entity_id)
        work.require(permission, located.site.id)
        if query.status not in starts:
            raise Conflict(
                f"query {query_id} is {query.status}; only a query that is {' or '.join(starts)} can be "
                f"{_PAST[action]}",
                path=("status",),
                value=query.status,
            )
        if action != "close":
            ensure_unlocked(work.session, located)
        changes: dict[str, object] = {"status": target}
        if action == "close":
            changes["closed_at"] = now
        work.change(query, changes, expected_version=expected_version, **located.audit_place())
        work.add(QueryMessage(query_id=query.id, action=action, text=text), **located.audit_place())


def answer_query(
    db: Database, actor: Actor, *, query_id: int, text: str, now: dt.datetime, expected_version: int | None = None
) -> None:
    """The site's answer (``query.answer``): open → answered."""
    _step(db, actor, "answer", query_id, text, now, expected_version)


def close_query(
    db: Database, actor: Actor, *, query_id: int, text: str, now: dt.datetime, expected_version: int | None = None
) -> None:
    """Close a query (``query.close``): open or answered → closed, with a closing note."""
    _step(db, actor, "close", query_id, text, now, expected_version)


def reopen_query(
    db: Database, actor: Actor, *, query_id: int, text: str, now: dt.datetime, expected_version: int | None = None
) -> None:
    """Re-open a query (``query.close``): answered or closed → open, saying what is still wrong."""
    _step(db, actor, "reopen", query_id, text, now, expected_version)


def query_age(opened_at: dt.datetime, closed_at: dt.datetime | None, status: str, now: dt.datetime) -> dt.timedelta:
    """Age of a query: from its opening to ``now``, or to its closing once closed."""
    end = closed_at if status == "closed" and closed_at is not None else now
    return end - opened_at


@dataclass(frozen=True)
class Message:
    """One step of a query's thread."""

    action: str
    text: str
    username: str | None
    at: dt.datetime


@dataclass(frozen=True)
class QueryView:
    """A query as listed: where, what, its status and age, and its thread."""

    id: int
    version: int
    site_code: str
    subject_id: int
    entity_type: str
    entity_id: int
    field: str | None
    status: str
    origin: str
    edit_check_id: str | None
    text: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    age: dt.timedelta
    messages: tuple[Message, ...]


def list_queries(
    db: Database,
    actor: Actor,
    *,
    now: dt.datetime,
    site_code: str | None = None,
    subject_id: int | None = None,
    status: str | None = None,
    older_than: dt.timedelta | None = None,
    study_id: int | None = None,
) -> list[QueryView]:
    """The queries the actor may read (``subject.read``), oldest first, filtered by site, subject, status and age."""
    if status is not None and status not in STATUSES:
        raise refuse("status", status, f"not a query status: expected one of {', '.join(STATUSES)}")
    study_id = study_id if study_id is not None else only_study(db)
    with reading(db, actor=actor) as ctx:
        sql = (
            select(DataQuery, Site.code)
            .join(Subject, Subject.id == DataQuery.subject_id)
            .join(Site, Site.id == Subject.site_id)
            .where(Subject.study_id == study_id)
        )
        if site_code is not None:
            site = find_site(ctx.session, study_id, site_code)
            ctx.require("subject.read", site.id)
            sql = sql.where(Site.id == site.id)
        allowed = permitted_sites(ctx.session, actor, "subject.read")
        if allowed is not None:
            sql = sql.where(Site.id.in_(allowed))
        if subject_id is not None:
            sql = sql.where(DataQuery.subject_id == subject_id)
        if status is not None:
            sql = sql.where(DataQuery.status == status)
        names = {user.id: user.username for user in ctx.session.scalars(select(User))}
        rows = [
            (query, code, query_age(query.created_at, query.closed_at, query.status, now))
            for query, code in ctx.session.execute(sql.order_by(DataQuery.created_at, DataQuery.id)).all()
        ]
        rows = [row for row in rows if older_than is None or row[2] >= older_than]
        threads: dict[int, list[Message]] = {query.id: [] for query, _, _ in rows}
        for chunk in range(0, len(rows), 500):
            ids = [query.id for query, _, _ in rows[chunk : chunk + 500]]
            found = select(QueryMessage).where(QueryMessage.query_id.in_(ids)).order_by(QueryMessage.id)
            for m in ctx.session.scalars(found):
                threads[m.query_id].append(
                    Message(m.action, m.text, names.get(m.created_by_user_id or 0), m.created_at)
                )
        views: list[QueryView] = []
        for query, code, age in rows:
            messages = tuple(threads[query.id])
            views.append(
                QueryView(
                    query.id,
                    query.version,
                    code,
                    query.subject_id,
                    query.entity_type,
                    query.entity_id,
                    query.field,
                    query.status,
                    query.origin,
                    query.edit_check_id,
                    query.text,
                    query.created_at,
                    query.closed_at,
                    age,
                    messages,
                )
            )
        return views
