"""Locks per form, visit, subject and study: locked records refuse writes; the study lock needs two people."""

from __future__ import annotations

import threading

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.services import Actor, Conflict, NotFound, PermissionDenied
from dermtrial.services.locks import (
    RecordLocked,
    confirm_study_lock,
    confirm_study_unlock,
    lock_record,
    locks_on,
    request_study_lock,
    request_study_unlock,
    study_lock_state,
    unlock_record,
    withdraw_study_request,
)
from dermtrial.store.models import FormInstance, RecordLock, Study
from tests.conftest import NOW, StudySetup
from tests.services.helpers import audit_count, count, events
from tests.services.review_setup import ReviewSetup, make_review


@pytest.fixture
def review(study: StudySetup) -> ReviewSetup:
    return make_review(study)


def _weight(review: ReviewSetup, form_id: int) -> str:
    with review.db.reading() as session:
        return str(session.get_one(FormInstance, form_id).item_values["WEIGHT"])


@pytest.mark.requirement("REG-INTEG-06")
def test_a_locked_form_refuses_changes_naming_the_lock_and_nothing_is_written(review: ReviewSetup) -> None:
    form = review.weight()
    lock_record(review.db, review.dm1, level="form", entity_id=form, reason="clean", now=NOW)
    before = audit_count(review.db)
    with pytest.raises(RecordLocked) as caught:
        review.change_weight(form, "71.0")
    assert str(caught.value).startswith(
        f'lock: form_instance {form} is locked: form {form} was locked at 2026-03-04T01:30:00.000000Z by dm1 ("clean")'
    )
    assert audit_count(review.db) == before
    assert _weight(review, form) == "70.5"
    unlock_record(review.db, review.dm1, level="form", entity_id=form, reason="query answered late", now=NOW)
    review.change_weight(form, "71.0")
    assert _weight(review, form) == "71.0"
    unlock = [e for e in events(review.db, entity_type="record_lock") if e["event_type"] == "update"]
    assert {e["field"] for e in unlock} == {"unlocked_at", "unlocked_by_user_id", "unlock_reason"}
    assert {e["reason"] for e in unlock} == {"query answered late"}


@pytest.mark.parametrize("level", ["visit", "subject"])
@pytest.mark.requirement("REG-INTEG-06")
def test_a_visit_or_subject_lock_covers_its_forms_and_new_entries(review: ReviewSetup, level: str) -> None:
    form = review.weight()
    key = review.visit if level == "visit" else review.subject
    lock_record(review.db, review.dm1, level=level, entity_id=key, now=NOW)
    with pytest.raises(RecordLocked, match=f"{level} {key} was locked"):
        review.change_weight(form, "71.0")
    with pytest.raises(RecordLocked):
        review.weight("72.0")
    assert [lock.level for lock in locks_on(review.db, review.mo, entity_type="form_instance", entity_id=form)] == [
        level
    ]


@pytest.mark.requirement("REG-INTEG-06")
def test_the_study_lock_needs_a_second_person_and_then_refuses_every_write(review: ReviewSetup) -> None:
    form = review.weight()
    request_study_lock(review.db, review.dm1, reason="database lock for the primary analysis", now=NOW)
    with review.db.reading() as session:
        assert study_lock_state(session, review.study.study_id) == "lock-requested"
    review.change_weight(form, "71.0")  # a request alone locks nothing
    before = audit_count(review.db)
    with pytest.raises(PermissionDenied, match='two-person rule: user "dm1" requested the study lock and cannot'):
        confirm_study_lock(review.db, review.dm1, now=NOW)
    assert audit_count(review.db) == before
    confirm_study_lock(review.db, review.dm2, now=NOW)
    with review.db.reading() as session:
        assert study_lock_state(session, review.study.study_id) == "locked"
        assert session.get_one(Study, review.study.study_id).status == "locked"
    before = audit_count(review.db)
    locked = 'the study was locked at .* by dm1 and dm2 \\("database lock for the primary analysis"\\)'
    with pytest.raises(RecordLocked, match=locked):
        review.change_weight(form, "72.0")
    with pytest.raises(RecordLocked):
        review.weight("72.0")
    assert audit_count(review.db) == before
    request_study_unlock(review.db, review.dm2, reason="late SAE reconciliation", now=NOW)
    with pytest.raises(RecordLocked):  # still locked until the unlock is confirmed
        review.change_weight(form, "72.0")
    with pytest.raises(PermissionDenied, match='user "dm2" requested the study unlock'):
        confirm_study_unlock(review.db, review.dm2, now=NOW)
    confirm_study_unlock(review.db, review.dm1, now=NOW)
    review.change_weight(form, "72.0")
    with review.db.reading() as session:
        assert study_lock_state(session, review.study.study_id) == "unlocked"
        assert session.get_one(Study, review.study.study_id).status == "active"
    status = [e for e in events(review.db, entity_type="study") if e["field"] == "status"]
    assert [(e["new_value"], e["actor_username"]) for e in status] == [('"locked"', "dm2"), ('"active"', "dm1")]


def test_a_pending_request_can_be_withdrawn_and_a_new_one_made(review: ReviewSetup) -> None:
    request_study_lock(review.db, review.dm1, reason="interim", now=NOW)
    with pytest.raises(Conflict, match="the study is lock-requested; a lock can be requested only while it is unlo"):
        request_study_lock(review.db, review.dm2, reason="again", now=NOW)
    withdraw_study_request(review.db, review.dm2, reason="interim analysis postponed", now=NOW)
    with pytest.raises(Conflict, match="the study is unlocked; only a requested lock can be confirmed"):
        confirm_study_lock(review.db, review.dm2, now=NOW)
    request_study_lock(review.db, review.dm2, reason="final", now=NOW)
    confirm_study_lock(review.db, review.dm1, now=NOW)
    with review.db.reading() as session:
        assert study_lock_state(session, review.study.study_id) == "locked"


def test_refusals_name_what_was_wrong_and_write_nothing(review: ReviewSetup) -> None:
    form = review.weight()
    _staff = (review.dm1, review.dm2, review.li, review.mo)  # made before counting
    attempts = [
        (
            lambda: lock_record(review.db, review.dm1, level="page", entity_id=form, now=NOW),
            InvalidInput,
            'level: "page" is not allowed: expected one of form, visit, subject',
        ),
        (
            lambda: lock_record(review.db, review.dm1, level="form", entity_id=999, now=NOW),
            NotFound,
            "no form_instance 999",
        ),
        (
            lambda: lock_record(review.db, review.li, level="form", entity_id=form, now=NOW),
            PermissionDenied,
            'user "li" may not lock.record at site GZ01',
        ),
        (
            lambda: request_study_lock(review.db, review.mo, reason="x", now=NOW),
            PermissionDenied,
            'user "mo" may not lock.study at every site',
        ),
        (
            lambda: request_study_lock(review.db, review.dm1, reason="  ", now=NOW),
            InvalidInput,
            "reason: a reason for locking the study is required",
        ),
        (
            lambda: unlock_record(review.db, review.dm1, level="form", entity_id=form, reason="x", now=NOW),
            NotFound,
            f"form {form} is not locked",
        ),
        (
            lambda: request_study_unlock(review.db, review.dm1, reason="x", now=NOW),
            Conflict,
            "the study is unlocked; an unlock can be requested only while it is locked",
        ),
    ]
    before = audit_count(review.db)
    for attempt, error, message in attempts:
        with pytest.raises(error) as caught:
            attempt()
        assert message in str(caught.value)
    assert audit_count(review.db) == before
    lock_record(review.db, review.dm1, level="form", entity_id=form, now=NOW)
    with pytest.raises(Conflict, match=f"form {form} is already locked"):
        lock_record(review.db, review.dm2, level="form", entity_id=form, now=NOW)


def test_two_people_requesting_the_study_lock_at_once_make_one_request(review: ReviewSetup) -> None:
    review.staff("dm1", "dm2")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def request(actor: Actor) -> None:
        barrier.wait()
        try:
            request_study_lock(review.db, actor, reason=f"by {actor.username}", now=NOW)
            outcomes.append("requested")
        except Conflict as exc:
            outcomes.append(str(exc).split(";")[0])

    threads = [threading.Thread(target=request, args=(actor,)) for actor in (review.dm1, review.dm2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["requested", "study_lock: the study is lock-requested"]
    assert count(review.db, RecordLock) == 1


def _race(review: ReviewSetup, form: int, weight: str) -> str:
    """Change the form and lock it in two threads released together; return what became of the change."""
    barrier = threading.Barrier(2)
    outcome: list[str] = []

    def change() -> None:
        barrier.wait()
        try:
            review.change_weight(form, weight)
            outcome.append("saved")
        except RecordLocked:
            outcome.append("refused")

    def lock() -> None:
        barrier.wait()
        lock_record(review.db, review.dm1, level="form", entity_id=form, now=NOW)

    threads = [threading.Thread(target=change), threading.Thread(target=lock)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome[0]


def test_a_write_and_a_lock_at_once_are_ordered(review: ReviewSetup) -> None:
    """Either the change commits before the lock or the lock refuses it: never a change after the lock."""
    form = review.weight()
    review.staff("dm1", "li")
    for attempt in range(3):
        outcome = _race(review, form, f"7{attempt}.0")
        trail = [e for e in events(review.db) if e["entity_type"] in {"record_lock", "form_instance"}]
        lock_seq = max(e["seq"] for e in trail if e["entity_type"] == "record_lock" and e["event_type"] == "create")
        assert all(e["seq"] < lock_seq for e in trail if e["entity_type"] == "form_instance"), outcome
        unlock_record(review.db, review.dm1, level="form", entity_id=form, reason="next round", now=NOW)
