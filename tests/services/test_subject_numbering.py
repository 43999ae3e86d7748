"""Screening and enrollment numbers through the services, on SQLite and PostgreSQL: each site runs its own sequence
from 1, a number already held is skipped (never given twice), and the next number costs two queries however many
subjects the study holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from dermtrial.errors import InvalidInput
from dermtrial.services import Actor
from dermtrial.services.enrollment import enroll_subject
from dermtrial.services.numbering import next_subject_number
from dermtrial.services.subjects import screen_subject, set_study_status
from dermtrial.store.engine import Database
from dermtrial.store.models import Site, Subject
from tests.conftest import NOW, StudySetup
from tests.services.conduct_setup import approve_eligibility

SCREENING = "{site}-S{seq:03d}"


def _screen(study: StudySetup, actor: Actor, site: str) -> int:
    return screen_subject(
        study.db, actor, site_code=site, consent_version="1.0", consent_signed_local="2019-07-10T10:00", now=NOW
    )


def _make_eligible(study: StudySetup, crc: Actor, pi: Actor, subject_id: int) -> None:
    approve_eligibility(study.db, crc, pi, subject_id)


def _numbers(db: Database) -> dict[int, tuple[str, str | None]]:
    with db.reading() as session:
        rows = session.execute(select(Subject.id, Subject.screening_number, Subject.subject_number))
        return {subject_id: (screening, enrollment) for subject_id, screening, enrollment in rows}


def _load(study: StudySetup, site: str, **values: Any) -> int:
    """A subject written straight to the store (as a data load would), holding the numbers given."""
    with study.db.writing() as session:
        subject = Subject(study_id=study.study_id, site_id=study.sites[site], created_at=NOW, **values)
        session.add(subject)
        session.commit()
        return subject.id


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)


def test_each_site_numbers_its_screened_subjects_from_1(study: StudySetup) -> None:
    gz = study.user("nurse.li", "coordinator", "GZ01")
    sh = study.user("nurse.zhou", "coordinator", "SH02")
    order = [(gz, "GZ01"), (gz, "GZ01"), (sh, "SH02"), (gz, "GZ01"), (sh, "SH02")]
    ids = [_screen(study, actor, site) for actor, site in order]
    numbers = _numbers(study.db)
    assert [numbers[i][0] for i in ids] == ["GZ01-S001", "GZ01-S002", "SH02-S001", "GZ01-S003", "SH02-S002"]


def test_a_rescreened_or_screen_failed_subject_keeps_its_number_and_the_next_one_follows(study: StudySetup) -> None:
    crc = study.user("nurse.li", "coordinator", "GZ01")
    first = _screen(study, crc, "GZ01")
    set_study_status(study.db, crc, subject_id=first, status="screen-failed", reason="PASI below 12", now=NOW)
    again = screen_subject(
        study.db,
        crc,
        site_code="GZ01",
        consent_version="1.0",
        consent_signed_local="2019-08-10T10:00",
        now=NOW,
        rescreen_of=first,
    )
    numbers = _numbers(study.db)
    assert (numbers[first][0], numbers[again][0]) == ("GZ01-S001", "GZ01-S002")


def test_enrollment_numbers_run_per_site_in_order_of_enrollment(study: StudySetup) -> None:
    gz_crc = study.user("nurse.li", "coordinator", "GZ01")
    gz_pi = study.user("dr.wang", "investigator", "GZ01")
    sh_crc = study.user("nurse.zhou", "coordinator", "SH02")
    sh_pi = study.user("dr.chen", "investigator", "SH02")
    a, b = _screen(study, gz_crc, "GZ01"), _screen(study, gz_crc, "GZ01")
    failed = _screen(study, gz_crc, "GZ01")  # screen-failed: a screening number, never an enrollment number
    set_study_status(study.db, gz_crc, subject_id=failed, status="screen-failed", reason="PASI below 12", now=NOW)
    c = _screen(study, sh_crc, "SH02")
    for crc, pi, subject in [(gz_crc, gz_pi, a), (gz_crc, gz_pi, b), (sh_crc, sh_pi, c)]:
        _make_eligible(study, crc, pi, subject)
    given = [
        enroll_subject(study.db, pi, subject_id=subject, enrolled_local="2019-07-25", now=NOW)
        for pi, subject in [(gz_pi, b), (sh_pi, c), (gz_pi, a)]  # b is enrolled before a
    ]
    assert given == ["GZ01-E01", "SH02-E01", "GZ01-E02"]
    numbers = _numbers(study.db)
    assert [numbers[s][1] for s in (b, c, a, failed)] == ["GZ01-E01", "SH02-E01", "GZ01-E02", None]


def test_a_screening_number_already_held_is_skipped_not_given_twice(study: StudySetup) -> None:
    crc = study.user("nurse.li", "coordinator", "GZ01")
    loaded = _load(study, "GZ01", screening_number="GZ01-S002")  # held out of order, e.g. by a data load
    ids = [_screen(study, crc, "GZ01") for _ in range(3)]
    numbers = _numbers(study.db)
    # the site holds 1 number, so S002 is probed first: held, skipped; each later probe meets the one given before
    assert [numbers[i][0] for i in ids] == ["GZ01-S003", "GZ01-S004", "GZ01-S005"]
    assert numbers[loaded][0] == "GZ01-S002"
    held = [screening for screening, _ in numbers.values()]
    assert len(held) == len(set(held)) == 4


def test_an_enrollment_number_held_at_another_site_is_skipped(study: StudySetup) -> None:
    crc = study.user("nurse.li", "coordinator", "GZ01")
    pi = study.user("dr.wang", "investigator", "GZ01")
    _load(study, "SH02", screening_number="SH02-S001", subject_number="GZ01-E01", status="enrolled")
    subject = _screen(study, crc, "GZ01")
    _make_eligible(study, crc, pi, subject)
    assert enroll_subject(study.db, pi, subject_id=subject, enrolled_local="2019-07-25", now=NOW) == "GZ01-E02"


def test_a_voided_subject_keeps_its_number(study: StudySetup) -> None:
    crc = study.user("nurse.li", "coordinator", "GZ01")
    _load(study, "GZ01", screening_number="GZ01-S001", voided=True, void_reason="entered in error")
    subject = _screen(study, crc, "GZ01")
    assert _numbers(study.db)[subject][0] == "GZ01-S002"


def test_a_format_without_the_site_numbers_the_whole_study_in_one_sequence(study: StudySetup) -> None:
    _load(study, "GZ01", screening_number="S00001")
    _load(study, "SH02", screening_number="S00002")
    with study.db.writing() as session:
        gz01 = session.get_one(Site, study.sites["GZ01"])
        with _statements(study.db) as seen:
            assert next_subject_number(session, gz01, "S{seq:05d}", "screening") == "S00003"
    assert len(seen) == 2  # counted over the study, so nothing needed skipping


def test_the_next_number_costs_two_queries_however_many_subjects_the_site_holds(study: StudySetup) -> None:
    with study.db.writing() as session:
        for seq in range(1, 301):
            session.add(
                Subject(
                    study_id=study.study_id,
                    site_id=study.sites["GZ01"],
                    created_at=NOW,
                    screening_number=f"GZ01-S{seq:03d}",
                    subject_number=f"GZ01-E{seq:02d}" if seq <= 120 else None,
                )
            )
        session.commit()
        gz01 = session.get_one(Site, study.sites["GZ01"])
        with _statements(study.db) as seen:
            assert next_subject_number(session, gz01, SCREENING, "screening") == "GZ01-S301"
            assert next_subject_number(session, gz01, "{site}-E{seq:02d}", "enrollment") == "GZ01-E121"
    assert len(seen) == 4  # one count and one probe each; no statement reads the numbers held


def test_a_format_without_seq_is_refused_naming_the_setting_instead_of_probing_forever(study: StudySetup) -> None:
    _load(study, "GZ01", screening_number="GZ01")
    with study.db.writing() as session:
        gz01 = session.get_one(Site, study.sites["GZ01"])
        with pytest.raises(InvalidInput) as caught:
            next_subject_number(session, gz01, "{site}", "screening")
    assert caught.value.problems[0].path == ("settings", "subject_numbering", "screening")
    assert "{seq}" in caught.value.problems[0].message
