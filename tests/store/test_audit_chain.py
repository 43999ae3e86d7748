"""The audit trail: append-only in the database itself, and any tampering found by verify, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from dermtrial.store.audit import GENESIS_HASH, verify_chain
from dermtrial.store.engine import Database
from tests.conftest import StudySetup


def _verify(db: Database):  # type: ignore[no-untyped-def]
    with db.reading() as session:
        return verify_chain(session)


@pytest.mark.requirement("REG-AUDIT-03")
def test_a_fresh_study_has_a_verifiable_chain_starting_from_the_genesis_hash(study: StudySetup) -> None:
    report = _verify(study.db)
    assert report.ok, report.problem
    assert report.events == report.last_seq > 5
    with study.db.reading() as session:
        first = session.execute(text("SELECT prev_hash FROM audit_event WHERE seq = 1")).scalar_one()
    assert first == GENESIS_HASH


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET new_value = '\"forged\"' WHERE seq = 2",
        "DELETE FROM audit_event WHERE seq = 2",
        "DELETE FROM audit_event",
    ],
)
@pytest.mark.requirement("REG-AUDIT-02")
def test_the_database_refuses_update_and_delete_on_audit_events(study: StudySetup, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), study.db.write_connection() as connection:
        connection.execute(text(statement))
    assert _verify(study.db).ok


@pytest.mark.requirement("REG-AUDIT-02")
def test_postgres_also_refuses_truncate(study: StudySetup) -> None:
    if study.db.is_sqlite:
        return  # SQLite has no TRUNCATE; DELETE without WHERE is refused above
    with pytest.raises(DBAPIError, match="append-only"), study.db.write_connection() as connection:
        connection.execute(text("TRUNCATE audit_event"))


def _bypass(db: Database, statement: str) -> None:
    """Tamper as someone with raw database access would: drop the trigger, change the row, put the trigger back."""
    with db.write_connection() as connection:
        if db.is_sqlite:
            triggers = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")
            ).all()
            for name, _sql in triggers:
                connection.execute(text(f"DROP TRIGGER {name}"))
            connection.execute(text(statement))
            for _name, sql in triggers:
                connection.execute(text(sql))
        else:
            connection.execute(text("SET LOCAL session_replication_role = replica"))  # triggers do not fire
            connection.execute(text(statement))


@pytest.mark.requirement("REG-AUDIT-03")
def test_a_changed_value_is_found_and_the_event_named(study: StudySetup) -> None:
    _bypass(study.db, 'UPDATE audit_event SET new_value = \'{"name":"forged"}\' WHERE seq = 4')
    report = _verify(study.db)
    assert not report.ok
    assert report.first_bad_seq == 4
    assert "does not match its content" in (report.problem or "")


@pytest.mark.requirement("REG-AUDIT-03")
def test_a_deleted_event_in_the_middle_is_found(study: StudySetup) -> None:
    _bypass(study.db, "DELETE FROM audit_event WHERE seq = 3")
    report = _verify(study.db)
    assert (report.ok, report.first_bad_seq) == (False, 4)
    assert "missing" in (report.problem or "")


@pytest.mark.requirement("REG-AUDIT-03")
def test_a_deleted_last_event_is_found_through_the_chain_head(study: StudySetup) -> None:
    last = _verify(study.db).last_seq
    _bypass(study.db, f"DELETE FROM audit_event WHERE seq = {last}")
    report = _verify(study.db)
    assert not report.ok
    assert report.first_bad_seq == last
    assert "removed from the end" in (report.problem or "")


@pytest.mark.requirement("REG-AUDIT-03")
def test_a_rehashed_forgery_still_breaks_the_next_link(study: StudySetup) -> None:
    # The forger recomputes event 4's own hash but cannot change event 5's prev_hash without breaking 5's hash.
    from dermtrial.store.audit import compute_hash
    from dermtrial.store.models import AuditEvent

    with study.db.reading() as session:
        event = session.get_one(AuditEvent, 4)
        session.expunge(event)
    event.reason = "forged"
    forged = compute_hash(event)
    _bypass(study.db, f"UPDATE audit_event SET reason = 'forged', hash = '{forged}' WHERE seq = 4")
    report = _verify(study.db)
    assert (report.ok, report.first_bad_seq) == (False, 5)
    assert "prev_hash" in (report.problem or "")
