"""The permission check and the lock check every write makes, at their edges (both engines).

``require`` reads the account and its grants in one statement and the lock check runs one prepared statement with
the record's keys; these tests pin what they must still refuse and allow.
"""

from __future__ import annotations

import pytest

from dermtrial.services import Actor, PermissionDenied, unit_of_work
from dermtrial.services.locks import RecordLocked, lock_record
from dermtrial.store.models import User
from tests.conftest import NOW, StudySetup
from tests.services.review_setup import ReviewSetup, make_review


@pytest.mark.requirement("REG-ACCESS-01")
def test_an_inactive_or_unknown_account_is_refused_and_grants_are_per_site(study: StudySetup) -> None:
    li = study.user("li", "coordinator", "GZ01")
    with unit_of_work(study.db, actor=li, now=NOW) as work:
        assert work.require("form.write", study.sites["GZ01"]) == "coordinator"
        with pytest.raises(PermissionDenied, match=r"SH02; this permission is held only as coordinator at site GZ01"):
            work.require("form.write", study.sites["SH02"])
        with pytest.raises(PermissionDenied, match="none of their roles holds it"):
            work.require("lock.study")
    with unit_of_work(study.db, actor=None, now=NOW) as work:
        work.change(work.session.get_one(User, li.user_id), {"active": False}, expected_version=None, reason="left")
    with unit_of_work(study.db, actor=li, now=NOW) as work, pytest.raises(PermissionDenied, match="not an active"):
        work.require("form.write", study.sites["GZ01"])
    ghost = Actor(user_id=9999, username="ghost", full_name="Nobody")
    with unit_of_work(study.db, actor=ghost, now=NOW) as work, pytest.raises(PermissionDenied, match="not an active"):
        work.require("form.write", study.sites["GZ01"])


@pytest.fixture
def review(study: StudySetup) -> ReviewSetup:
    return make_review(study)


def test_a_lock_covers_its_own_record_only(review: ReviewSetup) -> None:
    locked = review.weight()
    other_subject, _visit = review.new_subject(number="S002")
    lock_record(review.db, review.dm1, level="subject", entity_id=other_subject, now=NOW)
    lock_record(review.db, review.dm1, level="form", entity_id=locked, reason="clean", now=NOW)
    # A new form at the same visit: neither the lock on its sibling form nor another subject's lock covers it.
    second = review.weight("72.0")
    assert review.change_weight(second, "72.5") == 2
    with pytest.raises(RecordLocked, match=f"form {locked} was locked"):
        review.change_weight(locked, "71.0")
