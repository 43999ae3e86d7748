"""Data cuts: a snapshot identified by the SHA-256 of its canonical encoding, re-computable later."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.services import Conflict, NotFound, PermissionDenied
from dermtrial.services.datacut import create_data_cut, verify_data_cut
from dermtrial.store.models import DataCut, FormInstance
from tests.conftest import NOW, StudySetup
from tests.services.helpers import audit_count, count, events
from tests.services.review_setup import ReviewSetup, make_review


@pytest.fixture
def review(study: StudySetup) -> ReviewSetup:
    return make_review(study)


@pytest.mark.requirement("REG-INTEG-07")
def test_a_cut_is_the_hash_of_its_file_and_later_data_do_not_change_it(review: ReviewSetup, tmp_path: Path) -> None:
    tmp_path = tmp_path / "cuts"
    form = review.weight()
    cut = create_data_cut(review.db, review.dm1, name="interim-1", reason="DSMB interim", out_dir=tmp_path, now=NOW)
    data = (tmp_path / "interim-1.jsonl").read_bytes()
    assert hashlib.sha256(data).hexdigest() == cut.snapshot_sha256  # sha256sum of the file is the cut's identity
    lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert [line["table"] for line in lines] == ["site", "site", "subject", "visit", "form_instance"]
    assert lines[-1]["row"]["item_values"] == {"WTDAT": "2026-03-03", "WEIGHT": "70.5"}
    assert cut.records == 5
    assert "subject_identity" not in data.decode("utf-8")
    [created] = events(review.db, entity_type="data_cut")
    assert json.loads(created["new_value"])["snapshot_sha256"] == cut.snapshot_sha256
    # New records after the cut are not part of it: the cut still verifies.
    review.weight("80.0")
    review.new_subject(number="S002")
    check = verify_data_cut(review.db, review.dm2, cut_id=cut.id)
    assert (check.ok, check.recomputed_sha256, check.records) == (True, cut.snapshot_sha256, 5)
    # A correction to a record of the cut shows, naming the audited change.
    review.change_weight(form, "71.0")
    check = verify_data_cut(review.db, None, cut_id=cut.id)
    assert not check.ok
    assert check.recomputed_sha256 != cut.snapshot_sha256
    assert len(check.changed_since) == 1
    assert f"update form_instance {form} item_values at 2026-03-04T01:30:00.000000Z by li" in check.changed_since[0]


@pytest.mark.requirement("REG-INTEG-07")
def test_a_change_made_outside_the_services_is_found_and_said_to_be_unaudited(review: ReviewSetup) -> None:
    form = review.weight()
    cut = create_data_cut(review.db, review.dm1, name="final", reason="database lock", now=NOW)
    assert cut.location is None
    with review.db.writing() as session:
        session.get_one(FormInstance, form).form_version = "2"
        session.commit()
    check = verify_data_cut(review.db, review.dm1, cut_id=cut.id)
    assert not check.ok
    assert check.changed_since == ["no audited change explains the difference: the data were altered outside dermtrial"]


def test_refusals_name_what_was_wrong_and_write_nothing(review: ReviewSetup, tmp_path: Path) -> None:
    tmp_path = tmp_path / "cuts"
    review.staff("dm1", "mo", "pi")
    create_data_cut(review.db, review.dm1, name="interim-1", reason="DSMB", out_dir=tmp_path, now=NOW)
    attempts = [
        (
            lambda: create_data_cut(review.db, review.dm1, name="Interim 2", reason="x", now=NOW),
            InvalidInput,
            'name: "Interim 2" is not allowed: 1-64 lower-case letters',
        ),
        (
            lambda: create_data_cut(review.db, review.dm1, name="i2", reason=" ", now=NOW),
            InvalidInput,
            "reason: a reason for the cut is required",
        ),
        (
            lambda: create_data_cut(review.db, review.dm1, name="interim-1", reason="again", now=NOW),
            Conflict,
            'a data cut "interim-1" already exists',
        ),
        (
            lambda: create_data_cut(review.db, review.dm1, name="interim-1", reason="x", out_dir=tmp_path, now=NOW),
            Conflict,
            "interim-1.jsonl already exists; a cut's file is never overwritten",
        ),
        (
            lambda: create_data_cut(review.db, review.mo, name="i2", reason="x", now=NOW),
            PermissionDenied,
            'user "mo" may not data-cut.create',
        ),
        (
            lambda: create_data_cut(review.db, review.pi, name="i2", reason="x", now=NOW),
            PermissionDenied,
            'user "pi" may not data-cut.create',
        ),
        (lambda: verify_data_cut(review.db, review.dm1, cut_id=42), NotFound, "no data cut 42"),
        (lambda: verify_data_cut(review.db, review.mo, cut_id=1), PermissionDenied, 'user "mo" may not audit.verify'),
    ]
    before = (audit_count(review.db), count(review.db, DataCut))
    for attempt, error, message in attempts:
        with pytest.raises(error) as caught:
            attempt()
        assert message in str(caught.value)
    assert (audit_count(review.db), count(review.db, DataCut)) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["interim-1.jsonl"]
