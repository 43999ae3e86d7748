"""The unit of work: reasons for changes, voids instead of deletes, identifying data audited as keyed hashes."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from dermtrial.services import ReasonRequired, unit_of_work
from dermtrial.store.audit import KEYED_PREFIX, keyed_hash, verify_chain
from dermtrial.store.models import StudyKey, Subject, SubjectIdentity
from tests.conftest import NOW, StudySetup
from tests.services.helpers import audit_count, events


def _subject_with_identity(study: StudySetup) -> tuple[int, object]:
    coordinator = study.user("li", "coordinator", "GZ01")
    with unit_of_work(study.db, actor=coordinator, now=NOW) as work:
        work.require("identity.write", study.sites["GZ01"])
        subject = Subject(study_id=study.study_id, site_id=study.sites["GZ01"], screening_number="S-001")
        work.add(subject, study_id=study.study_id, site_code="GZ01")
        identity = SubjectIdentity(subject_id=subject.id, family_name="Wrongname", given_name="Mei", updated_at=NOW)
        work.add(identity, study_id=study.study_id, site_code="GZ01", subject_id=subject.id)
    return subject.id, coordinator


@pytest.mark.requirement("REG-PRIV-01")
def test_identifying_values_enter_the_trail_only_as_keyed_hashes(study: StudySetup) -> None:
    subject_id, _ = _subject_with_identity(study)
    created = events(study.db, entity_type="subject_identity")[0]
    assert "Wrongname" not in (created["new_value"] or "")
    assert created["new_value"].startswith(KEYED_PREFIX)
    with study.db.reading() as session:
        key = session.get_one(StudyKey, study.study_id).hmac_key
        identity = session.get_one(SubjectIdentity, subject_id)
        values = {"family_name": "Wrongname", "given_name": "Mei", "subject_id": subject_id}
        assert created["new_value"] == keyed_hash(key, values)
        assert identity.family_name == "Wrongname"


@pytest.mark.requirement("REG-PRIV-01")
def test_a_mistaken_name_can_be_erased_and_the_chain_still_verifies(study: StudySetup) -> None:
    subject_id, coordinator = _subject_with_identity(study)
    with unit_of_work(study.db, actor=coordinator, now=NOW, reason="wrong person's name entered") as work:
        work.require("identity.write", study.sites["GZ01"])
        identity = work.session.get_one(SubjectIdentity, subject_id)
        work.change(identity, {"family_name": "Li"}, expected_version=1, study_id=study.study_id, subject_id=subject_id)
    trail = " ".join(str(e) for e in events(study.db))
    assert "Wrongname" not in trail
    with study.db.reading() as session:
        assert verify_chain(session).ok


@pytest.mark.requirement("REG-AUDIT-04")
def test_a_change_after_first_entry_without_a_reason_is_refused_and_nothing_is_written(study: StudySetup) -> None:
    subject_id, coordinator = _subject_with_identity(study)
    before = audit_count(study.db)
    with (
        pytest.raises(ReasonRequired, match="subject 1: changing sex after first entry needs a reason"),
        unit_of_work(study.db, actor=coordinator, now=NOW) as work,
    ):
        work.change(work.session.get_one(Subject, subject_id), {"sex": "F"}, expected_version=1)
    assert audit_count(study.db) == before
    with study.db.reading() as session:
        assert session.get_one(Subject, subject_id).sex is None


@pytest.mark.requirement("REG-AUDIT-04")
def test_a_record_is_voided_with_a_reason_never_deleted(study: StudySetup) -> None:
    subject_id, coordinator = _subject_with_identity(study)
    with pytest.raises(ReasonRequired), unit_of_work(study.db, actor=coordinator, now=NOW) as work:
        work.void(work.session.get_one(Subject, subject_id), expected_version=1, reason="")
    with unit_of_work(study.db, actor=coordinator, now=NOW) as work:
        work.void(work.session.get_one(Subject, subject_id), expected_version=1, reason="duplicate screening")
    with study.db.reading() as session:
        subject = session.get_one(Subject, subject_id)
        assert (subject.voided, subject.void_reason, subject.version) == (True, "duplicate screening", 2)
        assert session.execute(text("SELECT count(*) FROM subject")).scalar_one() == 1
    voids = [e for e in events(study.db, entity_type="subject") if e["event_type"] == "void"]
    assert [(e["field"], e["reason"]) for e in voids] == [("voided", "duplicate screening"),
                                                          ("void_reason", "duplicate screening")]  # fmt: skip


@pytest.mark.requirement("REG-INTEG-01")
def test_an_error_inside_the_unit_of_work_rolls_back_data_and_audit_together(study: StudySetup) -> None:
    before = audit_count(study.db)
    with pytest.raises(RuntimeError), unit_of_work(study.db, actor=study.admin, now=NOW) as work:  # noqa: PT012
        work.add(Subject(study_id=study.study_id, site_id=study.sites["GZ01"], screening_number="S-9"))
        raise RuntimeError("crash in the middle of a use case")
    assert audit_count(study.db) == before
    with study.db.reading() as session:
        assert session.execute(text("SELECT count(*) FROM subject")).scalar_one() == 0
