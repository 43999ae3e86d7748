"""Concurrent writers: no lost update, a conflict for the slower of two editors, no lock error with 32 threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from dermtrial.services import Actor, Conflict, unit_of_work
from dermtrial.services.studies import update_site
from dermtrial.store.audit import verify_chain
from dermtrial.store.models import FormInstance, Subject
from tests.conftest import NOW, StudySetup


def _subject(study: StudySetup, actor: Actor) -> int:
    with unit_of_work(study.db, actor=actor, now=NOW) as work:
        work.require("subject.enroll", study.sites["GZ01"])
        subject = Subject(study_id=study.study_id, site_id=study.sites["GZ01"], screening_number="S-001")
        work.add(subject, study_id=study.study_id, site_code="GZ01")
        return subject.id


@pytest.mark.requirement("REG-INTEG-02")
def test_two_editors_of_one_record_one_wins_the_other_gets_a_conflict_with_both_values(study: StudySetup) -> None:
    # Both read version 1; the first save wins; the second is refused and shows its value and the stored one.
    update_site(study.db, study.admin, code="GZ01", changes={"city": "Guangzhou"}, expected_version=1,
                reason="add city", now=NOW)  # fmt: skip
    with pytest.raises(Conflict) as caught:
        update_site(study.db, study.admin, code="GZ01", changes={"city": "Canton"}, expected_version=1,
                    reason="add city", now=NOW)  # fmt: skip
    assert 'city: yours "Canton", stored "Guangzhou"' in str(caught.value)


@pytest.mark.requirement("REG-INTEG-02")
def test_two_editors_saving_at_the_same_moment_one_wins_the_other_gets_a_conflict(study: StudySetup) -> None:
    # Two transactions read the same version at the same time, then both write: PostgreSQL lets both reach the
    # UPDATE; the version check in its WHERE clause refuses the second. On SQLite the single writer serialises them.
    coordinator = study.user("li", "coordinator", "GZ01")
    subject_id = _subject(study, coordinator)
    with unit_of_work(study.db, actor=coordinator, now=NOW) as work:
        form = FormInstance(subject_id=subject_id, form_code="PASI", form_version="1", item_values={"head": "1"})
        work.add(form, subject_id=subject_id)
        form_id = form.id
    # Each editor read version 1 on their screen. On PostgreSQL they also meet inside their transactions, after
    # loading the row, so that both pass the version check and race to the UPDATE; on SQLite they meet just before
    # (the single writer lets one transaction in at a time).
    both_ready = threading.Barrier(2, timeout=10)
    results: dict[str, str] = {}

    def save(value: str) -> None:
        try:
            if study.db.is_sqlite:
                both_ready.wait()
            with unit_of_work(study.db, actor=coordinator, now=NOW, reason="correction") as work:
                form = work.session.get_one(FormInstance, form_id)
                if not study.db.is_sqlite:
                    both_ready.wait()
                work.change(form, {"item_values": {"head": value}}, expected_version=1, subject_id=subject_id)
            results[value] = "saved"
        except Conflict as exc:
            results[value] = str(exc)

    threads = [threading.Thread(target=save, args=(value,)) for value in ("2", "3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(v == "saved" for v in results.values()) == [False, True]
    loser = next(v for v, r in results.items() if r != "saved")
    winner = next(v for v, r in results.items() if r == "saved")
    assert f'item_values: yours {{"head":"{loser}"}}, stored {{"head":"{winner}"}}' in results[loser]
    with study.db.reading() as session:
        assert session.get_one(FormInstance, form_id).version == 2
        assert verify_chain(session).ok


@pytest.mark.requirement("REG-INTEG-02")
def test_32_threads_writing_at_once_lose_nothing_and_see_no_lock_error(study: StudySetup) -> None:
    coordinator = study.user("li", "coordinator", "GZ01")
    subject_id = _subject(study, coordinator)
    writes_each = 5

    def write(thread: int) -> None:
        for n in range(writes_each):
            with unit_of_work(study.db, actor=coordinator, now=NOW) as work:
                work.require("form.write", study.sites["GZ01"])
                form = FormInstance(subject_id=subject_id, form_code="ITCH", form_version="1",
                                    item_values={"thread": thread, "n": n})  # fmt: skip
                work.add(form, subject_id=subject_id)

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(write, range(32)))  # re-raises any error, e.g. "database is locked"
    with study.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(FormInstance)) == 32 * writes_each
        report = verify_chain(session)
    assert report.ok, report.problem
