"""Entering a visit's forms at once (save_forms): the same rows and audit events as one save_form per form, every
entry checked before anything is written, and the same refusals (locks, another site) for the whole call."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.services import Actor, PermissionDenied
from dermtrial.services.forms import NewForm, save_form, save_forms
from dermtrial.services.locks import RecordLocked, lock_record
from dermtrial.store.audit import keyed_hash
from dermtrial.store.models import FormInstance, StudyKey, SubjectIdentity
from tests.conftest import NOW, StudySetup
from tests.services.helpers import audit_count, count, events
from tests.services.review_setup import ReviewSetup, make_review
from tests.services.test_forms import PASI


@pytest.fixture
def review(study: StudySetup) -> ReviewSetup:
    return make_review(study)


#: A screening visit's forms: identifying DM first, a scored complete PASI, forms in progress and complete.
VISIT_FORMS = [
    NewForm("DM", {"BRTHDAT": "1980-02-29", "SEX": "F", "HEIGHT": "165"}, "complete"),
    NewForm("VS", {"SYSBP": "120", "PULSE": "70"}),
    NewForm("PASI", PASI, "complete"),
    NewForm("WT", {"WTDAT": "2026-03-03", "WEIGHT": "70.5"}, "complete"),
]

_ROW = ("form_code", "form_version", "status", "item_values", "derived", "instrument_code", "instrument_version")


def _rows(review: ReviewSetup, subject: int) -> list[dict[str, Any]]:
    with review.db.reading() as session:
        forms = session.query(FormInstance).filter_by(subject_id=subject).order_by(FormInstance.id).all()
        return [{name: getattr(form, name) for name in (*_ROW, "visit_id", "version")} for form in forms]


def _trail(review: ReviewSetup, subject: int, visit: int) -> list[tuple[Any, ...]]:
    """The subject's form and identity events, with the subject's own keys taken out of the form rows."""
    with review.db.reading() as session:
        key = session.get_one(StudyKey, review.study.study_id).hmac_key
    out = []
    for event in events(review.db, subject_id=subject):
        if event["entity_type"] not in {"form_instance", "subject_identity"}:
            continue
        new = event["new_value"]
        if event["entity_type"] == "form_instance":
            row = json.loads(new)
            assert (row["subject_id"], row["visit_id"]) == (subject, visit)
            new = {name: value for name, value in row.items() if name not in {"id", "subject_id", "visit_id"}}
        else:  # a keyed hash of the full birth date, never the clear value
            assert new == keyed_hash(key, {"subject_id": subject, "birth_date": "1980-02-29"})
            new = "keyed hash of the birth date"
        out.append((event["event_type"], event["entity_type"], event["field"], new, event["actor_role"],
                    event["actor_username"], event["reason"]))  # fmt: skip
    return out


@pytest.mark.requirement("REG-AUDIT-01", "REG-PRIV-01", "REG-INTEG-08")
def test_a_visit_saved_at_once_stores_the_rows_and_events_of_one_save_per_form(review: ReviewSetup) -> None:
    one_by_one, one_visit = review.subject, review.visit
    at_once, at_once_visit = review.new_subject(number="S002")
    for entry in VISIT_FORMS:
        save_form(review.db, review.li, subject_id=one_by_one, form_code=entry.form_code,
                  item_values=entry.item_values, status=entry.status, visit_id=one_visit, now=NOW)  # fmt: skip
    saved = save_forms(review.db, review.li, subject_id=at_once, forms=VISIT_FORMS, visit_id=at_once_visit, now=NOW)

    rows = _rows(review, at_once)
    assert [s.form_id for s in saved] == sorted(s.form_id for s in saved)  # stored in the order given
    assert [(s.version, s.derived) for s in saved] == [(r["version"], r["derived"]) for r in rows]
    assert saved[2].derived is not None
    assert saved[2].derived["pasi"] == 12.0
    assert rows[0]["item_values"] == {"BRTHDAT": "1980", "SEX": "F", "HEIGHT": "165"}  # the form keeps the year
    assert {r["visit_id"] for r in rows} == {at_once_visit}
    strip = [{k: v for k, v in r.items() if k != "visit_id"} for r in rows]
    assert strip == [{k: v for k, v in r.items() if k != "visit_id"} for r in _rows(review, one_by_one)]
    with review.db.reading() as session:
        assert session.get_one(SubjectIdentity, at_once).birth_date == "1980-02-29"
    trail = _trail(review, at_once, at_once_visit)
    assert [e[:2] for e in trail] == [("create", "subject_identity"), *[("create", "form_instance")] * 4]
    assert trail == _trail(review, one_by_one, one_visit)
    assert not [e for e in events(review.db) if "1980-02-29" in str(e["new_value"])]
    request_ids = {e["request_id"] for e in events(review.db, subject_id=at_once, entity_type="form_instance")}
    assert len(request_ids) == 1  # one unit of work


@pytest.mark.parametrize(
    ("forms", "path", "message"),
    [
        ([], "forms", "at least one form"),  # nothing to enter
        ([*VISIT_FORMS[:1], NewForm("VS", {"SYSBP": "120"}, "verified")], "forms[1].status", "one of in-progress"),
        ([*VISIT_FORMS[:2], NewForm("XX", {})], "forms[2].form_code", "not a form of the protocol"),
        ([*VISIT_FORMS[:1], NewForm("VS", {"SYSBPX": "120"})], "forms[1].item_values.SYSBPX", "not an item of VS"),
        ([*VISIT_FORMS[:3], NewForm("WT", {"WEIGHT": "1000"})], "forms[3].item_values.WEIGHT", "outside"),
        # found when the complete instrument is scored, after the items were checked
        (
            [*VISIT_FORMS[:2], NewForm("PASI", PASI | {"head.erythema": 5}, "complete")],
            "forms[2].item_values.head.erythema",
            "0–4",
        ),
    ],
)
@pytest.mark.requirement("REG-INTEG-03")
def test_one_bad_entry_is_named_and_nothing_of_the_call_is_written(
    review: ReviewSetup, forms: list[NewForm], path: str, message: str
) -> None:
    review.staff("li")
    before = audit_count(review.db)
    with pytest.raises(InvalidInput) as caught:
        save_forms(review.db, review.li, subject_id=review.subject, forms=forms, visit_id=review.visit, now=NOW)
    shown = [p.as_dict() for p in caught.value.problems]
    assert [p for p in shown if p["path"].startswith(path) and message in p["message"]], shown
    assert audit_count(review.db) == before
    assert count(review.db, FormInstance) == 0
    assert count(review.db, SubjectIdentity) == 0  # the good DM entry before the bad one is not kept either


def test_every_bad_entry_is_named_at_once(review: ReviewSetup) -> None:
    forms = [NewForm("VS", {"SYSBPX": "1"}), VISIT_FORMS[1], NewForm("DM", {"SEX": "X"})]
    with pytest.raises(InvalidInput) as caught:
        save_forms(review.db, review.li, subject_id=review.subject, forms=forms, now=NOW)
    assert [p.as_dict()["path"] for p in caught.value.problems] == ["forms[0].item_values.SYSBPX",
                                                                   "forms[2].item_values.SEX"]  # fmt: skip


@pytest.mark.parametrize("level", ["visit", "subject"])
@pytest.mark.requirement("REG-INTEG-06")
def test_a_locked_visit_or_subject_refuses_the_whole_call_as_save_form_does(review: ReviewSetup, level: str) -> None:
    lock_record(review.db, review.dm1, level=level, entity_id=review.visit if level == "visit" else review.subject,
                now=NOW)  # fmt: skip
    review.staff("li")
    before = audit_count(review.db)
    with pytest.raises(RecordLocked) as single:
        save_form(review.db, review.li, subject_id=review.subject, form_code="VS", item_values={"SYSBP": "120"},
                  visit_id=review.visit, now=NOW)  # fmt: skip
    with pytest.raises(RecordLocked) as batch:
        save_forms(review.db, review.li, subject_id=review.subject, forms=VISIT_FORMS, visit_id=review.visit, now=NOW)
    assert str(batch.value) == str(single.value)
    assert f"{level} " in str(batch.value)
    assert audit_count(review.db) == before
    assert count(review.db, FormInstance) == count(review.db, SubjectIdentity) == 0


def _refusal(call: Any) -> PermissionDenied:
    with pytest.raises(PermissionDenied) as caught:
        call()
    return caught.value


def test_a_coordinator_of_another_site_gets_the_refusal_of_save_form(review: ReviewSetup) -> None:
    other: Actor = review.co2  # coordinator at SH02; the subject is at GZ01
    before = audit_count(review.db)
    single = _refusal(lambda: save_form(review.db, other, subject_id=review.subject, form_code="VS",
                                        item_values={"SYSBP": "120"}, visit_id=review.visit, now=NOW))  # fmt: skip
    batch = _refusal(lambda: save_forms(review.db, other, subject_id=review.subject, forms=VISIT_FORMS,
                                        visit_id=review.visit, now=NOW))  # fmt: skip
    assert str(batch) == str(single)
    assert "form.write at site GZ01" in str(batch)
    assert audit_count(review.db) == before
    assert count(review.db, FormInstance) == 0


def test_a_visit_of_another_subject_is_refused(review: ReviewSetup) -> None:
    _, other_visit = review.new_subject(number="S002")
    with pytest.raises(Exception, match=f"no visit {other_visit} of subject {review.subject}"):
        save_forms(review.db, review.li, subject_id=review.subject, forms=VISIT_FORMS, visit_id=other_visit, now=NOW)
    assert count(review.db, FormInstance) == 0
