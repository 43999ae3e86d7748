"""Electronic signatures: password re-entered, meaning, name and UTC time shown, invalid when the data change."""

from __future__ import annotations

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.services import AuthenticationFailed, Conflict, PermissionDenied
from dermtrial.services.auth import MAX_FAILURES
from dermtrial.services.delegation import delegate_task
from dermtrial.services.errors import AccountLocked
from dermtrial.services.locks import RecordLocked, lock_record
from dermtrial.services.signatures import record_sha256, sign_record, signatures_of
from dermtrial.services.uow import unit_of_work
from dermtrial.store.models import EligibilityEvaluation, FormInstance, Signature, User
from tests.conftest import NOW, PASSWORD, StudySetup
from tests.services.helpers import audit_count, count, events
from tests.services.review_setup import ReviewSetup, make_review

TODAY = NOW.date()


@pytest.fixture
def review(study: StudySetup) -> ReviewSetup:
    return make_review(study)


def _sign(review: ReviewSetup, who: str, form: int, meaning: str = "approved", password: str = PASSWORD) -> int:
    actor = getattr(review, who)
    return sign_record(
        review.db, actor, entity_type="form_instance", entity_id=form, password=password, meaning=meaning, now=NOW
    )


@pytest.mark.requirement("REG-ESIG-01")
def test_the_investigator_signs_and_the_signature_shows_name_meaning_and_utc_time(review: ReviewSetup) -> None:
    form = review.weight()
    signature = _sign(review, "pi", form)
    [shown] = signatures_of(review.db, review.mo, entity_type="form_instance", entity_id=form)
    assert shown.id == signature
    assert shown.valid
    assert shown.manifestation == "Signed by Pi (pi), approved, 2026-03-04T01:30:00Z"
    with review.db.reading() as session:
        stored = session.get_one(Signature, signature)
        assert stored.record_sha256 == record_sha256(session.get_one(FormInstance, form))
        assert (stored.entity_version, stored.signer_name) == (1, "Pi")
    [created] = events(review.db, entity_type="signature")
    assert (created["event_type"], created["actor_username"], created["actor_role"]) == ("create", "pi", "investigator")
    assert "password" not in (created["new_value"] or "")


@pytest.mark.requirement("REG-ESIG-02")
def test_a_change_to_the_signed_data_invalidates_the_signature_which_stays_visible(review: ReviewSetup) -> None:
    form = review.weight()
    _sign(review, "pi", form)
    review.change_weight(form, "71.0", reason="scale recalibrated")
    [shown] = signatures_of(review.db, review.pi, entity_type="form_instance", entity_id=form)
    assert not shown.valid
    assert shown.invalidated_reason == f"signed data changed: item_values of form_instance {form}"
    assert "INVALID since 2026-03-04T01:30:00Z: signed data changed" in shown.manifestation
    assert count(review.db, Signature) == 1
    trail = events(review.db, entity_type="signature")
    [invalidated] = [e for e in trail if e["event_type"] == "signature-invalidated" and e["field"] == "invalidated_at"]
    assert invalidated["actor_username"] == "li"
    _sign(review, "pi", form)  # the new data can be signed again
    assert [s.valid for s in signatures_of(review.db, review.pi, entity_type="form_instance", entity_id=form)] == [
        False,
        True,
    ]


@pytest.mark.requirement("REG-ESIG-02")
def test_a_change_outside_the_services_still_shows_the_signature_invalid(review: ReviewSetup) -> None:
    form = review.weight()
    _sign(review, "pi", form)
    with review.db.writing() as session:
        stored = session.get_one(FormInstance, form)
        stored.item_values = {**stored.item_values, "WEIGHT": "99.9"}
        session.commit()
    assert [s.valid for s in signatures_of(review.db, review.pi, entity_type="form_instance", entity_id=form)] == [
        False
    ]


@pytest.mark.requirement("REG-ACCESS-04")
def test_a_sub_investigator_signs_only_when_the_delegation_log_says_so(review: ReviewSetup) -> None:
    form = review.weight()
    _staff = review.sub
    before = audit_count(review.db)
    with pytest.raises(PermissionDenied, match='user "sub" is not delegated the task sign-forms at site GZ01 on 2026'):
        _sign(review, "sub", form, "reviewed")
    assert audit_count(review.db) == before
    delegate_task(review.db, review.pi, site_code="GZ01", username="sub", task="sign-forms", start_date=TODAY, now=NOW)
    _sign(review, "sub", form, "reviewed")
    assert [s.meaning for s in signatures_of(review.db, review.sub, entity_type="form_instance", entity_id=form)] == [
        "reviewed"
    ]


@pytest.mark.requirement("REG-ESIG-03")
def test_a_wrong_password_is_refused_audited_and_counts_towards_the_lockout(review: ReviewSetup) -> None:
    form = review.weight()
    _staff = review.pi
    for attempt in range(MAX_FAILURES):
        before = audit_count(review.db)
        with pytest.raises(AuthenticationFailed, match="password: the password is wrong; the record was not signed"):
            _sign(review, "pi", form, password="not-my-password-1")
        failed = events(review.db)[before:]
        assert failed[0]["event_type"] == "signature-failed"
        assert (attempt < MAX_FAILURES - 1) == (len(failed) == 1)
    assert count(review.db, Signature) == 0
    with pytest.raises(AccountLocked, match='the account "pi" is locked until'):
        _sign(review, "pi", form)
    with review.db.reading() as session:
        assert session.get_one(User, review.pi.user_id).failed_logins == MAX_FAILURES


def test_refusals_name_what_was_wrong_and_write_nothing(review: ReviewSetup) -> None:
    form = review.weight()
    _sign(review, "pi", form, "approved")
    _staff = (review.li, review.mo, review.dm1, review.pi)
    attempts = [
        (
            lambda: _sign(review, "pi", form, "liked"),
            InvalidInput,
            'meaning: "liked" is not allowed: not a signature meaning: expected one of authored, reviewed, approved',
        ),
        (lambda: _sign(review, "li", form), PermissionDenied, 'user "li" may not form.sign at site GZ01'),
        (lambda: _sign(review, "mo", form), PermissionDenied, 'user "mo" may not form.sign at site GZ01'),
        (
            lambda: _sign(review, "pi", form, "approved"),
            Conflict,
            f"form_instance {form} is already signed as approved by pi in this version",
        ),
        (
            lambda: sign_record(
                review.db,
                review.pi,
                entity_type="subject",
                entity_id=review.subject,
                password=PASSWORD,
                meaning="approved",
                now=NOW,
            ),
            InvalidInput,
            'entity_type: "subject" is not allowed: expected one of form_instance',
        ),
    ]
    before = audit_count(review.db)
    for attempt, error, message in attempts:
        with pytest.raises(error) as caught:
            attempt()
        assert message in str(caught.value)
    assert audit_count(review.db) == before
    lock_record(review.db, review.dm1, level="form", entity_id=form, now=NOW)
    before = audit_count(review.db)
    with pytest.raises(RecordLocked):
        _sign(review, "pi", form, "reviewed")
    assert audit_count(review.db) == before


def _evaluation(review: ReviewSetup) -> int:
    with unit_of_work(review.db, actor=None, now=NOW) as work:
        evaluation = EligibilityEvaluation(
            subject_id=review.subject,
            protocol_version="1.0",
            protocol_content_hash="0" * 64,
            verdict="eligible",
            criteria={"I1": "met"},
            evaluated_local="2026-03-04",
            evaluated_tz="Asia/Shanghai",
        )
        work.add(evaluation, study_id=review.study.study_id, site_code="GZ01", subject_id=review.subject)
        return evaluation.id


@pytest.mark.requirement("REG-ACCESS-04", "CLIN-ELIG-07")
def test_an_eligibility_decision_needs_the_sign_eligibility_task(review: ReviewSetup) -> None:
    evaluation = _evaluation(review)
    review.staff("sub")
    delegate_task(review.db, review.pi, site_code="GZ01", username="sub", task="sign-forms", start_date=TODAY, now=NOW)

    def sign() -> int:
        return sign_record(
            review.db,
            review.sub,
            entity_type="eligibility_evaluation",
            entity_id=evaluation,
            password=PASSWORD,
            meaning="approved",
            now=NOW,
        )

    with pytest.raises(PermissionDenied, match="is not delegated the task sign-eligibility at site GZ01"):
        sign()
    delegate_task(
        review.db, review.pi, site_code="GZ01", username="sub", task="sign-eligibility", start_date=TODAY, now=NOW
    )
    sign()
    [shown] = signatures_of(review.db, review.pi, entity_type="eligibility_evaluation", entity_id=evaluation)
    assert shown.manifestation == "Signed by Sub (sub), approved, 2026-03-04T01:30:00Z"


def test_a_voided_record_is_not_signed(review: ReviewSetup) -> None:
    form = review.weight()
    with unit_of_work(review.db, actor=None, now=NOW) as work:
        work.void(work.session.get_one(FormInstance, form), expected_version=1, reason="entered on the wrong subject")
    review.staff("pi")
    before = audit_count(review.db)
    with pytest.raises(InvalidInput, match=f"entity_id: {form} is not allowed: form_instance {form} is voided"):
        _sign(review, "pi", form)
    assert audit_count(review.db) == before
