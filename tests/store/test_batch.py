"""Batches: many units of work in one transaction, each a SAVEPOINT: committed together, refused alone, audited each.

Run on a real SQLite file and on PostgreSQL (where a failed statement aborts the whole transaction unless its
SAVEPOINT is rolled back, so the "refused alone" case proves the savepoints are real).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dermtrial.services import Conflict, PermissionDenied, unit_of_work
from dermtrial.services.access import Actor
from dermtrial.services.accounts import revoke_role
from dermtrial.services.forms import save_form
from dermtrial.services.locks import RecordLocked, lock_record
from dermtrial.store.audit import verify_chain
from dermtrial.store.engine import BatchAbandoned
from dermtrial.store.models import AuditEvent, FormInstance, Subject
from dermtrial.store.uow import StoreError
from tests.conftest import NOW, StudySetup
from tests.services.helpers import audit_count, count, events


def _add_subject(study: StudySetup, actor: Actor, number: str, now: dt.datetime = NOW) -> int:
    with unit_of_work(study.db, actor=actor, now=now) as work:
        work.require("subject.enroll", study.sites["GZ01"])
        subject = Subject(study_id=study.study_id, site_id=study.sites["GZ01"], screening_number=number)
        work.add(subject, study_id=study.study_id, site_code="GZ01")
        return subject.id


def _add_then_fail(study: StudySetup, actor: Actor, number: str) -> None:
    with unit_of_work(study.db, actor=actor, now=NOW) as work:
        subject = Subject(study_id=study.study_id, site_id=study.sites["GZ01"], screening_number=number)
        work.add(subject, study_id=study.study_id, site_code="GZ01")
        raise RuntimeError("boom")


def _batch_then_fail(study: StudySetup, actor: Actor) -> None:
    with study.db.batch():
        _add_subject(study, actor, "GZ01-S001")
        _add_subject(study, actor, "GZ01-S002")
        raise KeyError("stop")


def _numbers_outside(study: StudySetup) -> set[str]:
    """Screening numbers as another connection sees them (committed data only)."""
    with Session(study.db.engine) as session:
        return set(session.scalars(select(Subject.screening_number)))


def test_units_of_a_batch_commit_together_each_with_its_own_audit_events(study: StudySetup) -> None:
    crc = study.user("li", "coordinator", "GZ01")
    assert NOW.isoformat().startswith("2026-03-04T01:30")
    later = NOW + dt.timedelta(minutes=5)
    before = audit_count(study.db)
    with study.db.batch():
        _add_subject(study, crc, "GZ01-S001")
        _add_subject(study, crc, "GZ01-S002", now=later)
        assert _numbers_outside(study) == set()  # nothing is visible before the batch commits
        with study.db.reading() as session:  # the batch reads its own writes
            assert set(session.scalars(select(Subject.screening_number))) == {"GZ01-S001", "GZ01-S002"}
    assert _numbers_outside(study) == {"GZ01-S001", "GZ01-S002"}
    created = [e for e in events(study.db, entity_type="subject") if e["event_type"] == "create"]
    assert [e["actor_username"] for e in created] == ["li", "li"]
    assert [e["occurred_at"][:16] for e in created] == ["2026-03-04T01:30", "2026-03-04T01:35"]
    assert len({e["request_id"] for e in created}) == 2  # two use cases, two request ids
    assert audit_count(study.db) == before + 2
    with study.db.reading() as session:
        assert verify_chain(session).ok


def test_a_unit_refused_inside_a_batch_is_rolled_back_alone(study: StudySetup) -> None:
    crc = study.user("li", "coordinator", "GZ01")
    with study.db.batch():
        _add_subject(study, crc, "GZ01-S001")
        with pytest.raises(Conflict, match="duplicates a stored record"):
            _add_subject(study, crc, "GZ01-S001")  # the unique number is refused by the database
        with pytest.raises(RuntimeError, match="boom"):
            _add_then_fail(study, crc, "GZ01-S009")
        _add_subject(study, crc, "GZ01-S002")  # the transaction is still usable after both refusals
    assert _numbers_outside(study) == {"GZ01-S001", "GZ01-S002"}
    created = [e for e in events(study.db, entity_type="subject") if e["event_type"] == "create"]
    assert len(created) == 2
    with study.db.reading() as session:
        assert verify_chain(session).ok


def test_an_error_leaving_the_batch_rolls_back_every_unit_and_its_audit_events(study: StudySetup) -> None:
    crc = study.user("li", "coordinator", "GZ01")
    before = audit_count(study.db)
    with pytest.raises(KeyError):
        _batch_then_fail(study, crc)
    assert _numbers_outside(study) == set()
    assert audit_count(study.db) == before
    with Session(study.db.engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert verify_chain(session).ok
    _add_subject(study, crc, "GZ01-S001")  # the database is usable afterwards (the writer lock was released)
    assert _numbers_outside(study) == {"GZ01-S001"}


def test_a_separate_write_transaction_inside_a_batch_is_refused(study: StudySetup) -> None:
    with study.db.batch():
        with pytest.raises(RuntimeError, match="inside a batch"), study.db.writing():
            pass
        with pytest.raises(RuntimeError, match="inside a batch"), study.db.write_connection():
            pass
        with pytest.raises(RuntimeError, match="inside a batch"), study.db.batch():
            pass
    assert study.db.active_batch() is None


def test_a_lock_made_inside_a_batch_refuses_the_next_write_of_the_batch(study: StudySetup) -> None:
    crc = study.user("li", "coordinator", "GZ01")
    manager = study.user("dm", "data-manager", None)
    with study.db.batch():
        subject_id = _add_subject(study, crc, "GZ01-S001")
        save_form(study.db, crc, subject_id=subject_id, form_code="DM", item_values={"SEX": "F"}, now=NOW)  # memo
        lock_record(study.db, manager, level="subject", entity_id=subject_id, now=NOW, reason="review")
        with pytest.raises(RecordLocked, match=f"subject {subject_id} is locked"):
            save_form(study.db, crc, subject_id=subject_id, form_code="VS", item_values={}, now=NOW)
    assert count(study.db, FormInstance) == 1


def test_a_role_revoked_inside_a_batch_is_refused_at_the_next_unit(study: StudySetup) -> None:
    crc = study.user("li", "coordinator", "GZ01")
    with study.db.batch():
        _add_subject(study, crc, "GZ01-S001")  # the grant is read and kept in the batch's memo
        revoke_role(
            study.db, study.admin, username="li", role="coordinator", site_code="GZ01", reason="left the site", now=NOW
        )
        with pytest.raises(PermissionDenied, match=r'user "li" may not subject\.enroll'):
            _add_subject(study, crc, "GZ01-S002")
    assert _numbers_outside(study) == {"GZ01-S001"}


def test_without_savepoints_the_units_commit_together_and_the_chain_head_ends_at_the_last_event(
    study: StudySetup,
) -> None:
    crc = study.user("li", "coordinator", "GZ01")
    before = audit_count(study.db)
    with study.db.batch(savepoints=False):
        _add_subject(study, crc, "GZ01-S001")
        _add_subject(study, crc, "GZ01-S002")
    assert _numbers_outside(study) == {"GZ01-S001", "GZ01-S002"}
    assert audit_count(study.db) == before + 2
    with study.db.reading() as session:
        report = verify_chain(session)  # also checks the head row against the last event
    assert report.ok, report.problem
    assert report.last_seq == before + 2


def _abandoned_batch(study: StudySetup, actor: Actor) -> None:
    with study.db.batch(savepoints=False):
        _add_subject(study, actor, "GZ01-S001")
        with pytest.raises(Conflict):
            _add_subject(study, actor, "GZ01-S001")  # swallowed here: the batch must still not commit
        with pytest.raises(BatchAbandoned, match="is abandoned"):
            _add_subject(study, actor, "GZ01-S002")


def test_without_savepoints_a_failed_unit_abandons_the_batch_and_nothing_is_committed(study: StudySetup) -> None:
    crc = study.user("li", "coordinator", "GZ01")
    before = audit_count(study.db)
    with pytest.raises(BatchAbandoned, match=r"IntegrityError.*(UNIQUE|duplicate key)"):
        _abandoned_batch(study, crc)
    assert _numbers_outside(study) == set()
    assert audit_count(study.db) == before
    _add_subject(study, crc, "GZ01-S003")
    with study.db.reading() as session:
        assert verify_chain(session).ok


def _inner_then_fail(study: StudySetup, actor: Actor) -> None:
    with unit_of_work(study.db, actor=actor, now=NOW):
        _add_subject(study, actor, "GZ01-S002")  # a unit inside a unit: committed to the outer one's savepoint
        raise RuntimeError("outer fails")


def test_a_unit_rolled_back_with_an_outer_unit_leaves_no_gap_in_the_chain(study: StudySetup) -> None:
    crc = study.user("li", "coordinator", "GZ01")
    with study.db.batch():
        _add_subject(study, crc, "GZ01-S001")
        with pytest.raises(RuntimeError, match="outer fails"):
            _inner_then_fail(study, crc)
        _add_subject(study, crc, "GZ01-S003")  # chains from S001's event, not from the vanished one
    assert _numbers_outside(study) == {"GZ01-S001", "GZ01-S003"}
    with study.db.reading() as session:
        report = verify_chain(session)
    assert report.ok, report.problem


def _savepoint_rolled_back_by_the_caller(study: StudySetup, actor: Actor) -> None:
    with study.db.batch() as session:
        _add_subject(study, actor, "GZ01-S001")
        savepoint = session.begin_nested()
        _add_subject(study, actor, "GZ01-S002")
        savepoint.rollback()  # outside any unit of work: the batch cannot know which events went


def test_a_batch_whose_events_were_rolled_back_behind_its_back_is_refused_whole(study: StudySetup) -> None:
    crc = study.user("li", "coordinator", "GZ01")
    before = audit_count(study.db)
    with pytest.raises(StoreError, match="savepoint was rolled back outside its unit of work"):
        _savepoint_rolled_back_by_the_caller(study, crc)
    assert _numbers_outside(study) == set()
    assert audit_count(study.db) == before
    with study.db.reading() as session:
        assert verify_chain(session).ok
