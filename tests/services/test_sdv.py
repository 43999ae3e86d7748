"""Source data verification: set by monitors per item and per form, reset when the verified value changes."""

from __future__ import annotations

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.services import NotFound, PermissionDenied
from dermtrial.services.locks import RecordLocked, lock_record
from dermtrial.services.sdv import form_sdv, set_sdv
from dermtrial.store.models import SdvStatus
from tests.conftest import NOW, StudySetup
from tests.services.helpers import audit_count, count, events
from tests.services.review_setup import ReviewSetup, make_review


@pytest.fixture
def review(study: StudySetup) -> ReviewSetup:
    return make_review(study)


@pytest.mark.requirement("REG-INTEG-05")
def test_items_verified_one_by_one_make_the_form_verified(review: ReviewSetup) -> None:
    form = review.weight()
    assert form_sdv(review.db, review.mo, form_id=form).status == "not-verified"
    set_sdv(review.db, review.mo, form_id=form, item="WEIGHT", status="verified", now=NOW)
    assert form_sdv(review.db, review.mo, form_id=form).status == "partially-verified"
    set_sdv(review.db, review.mo, form_id=form, item="WTDAT", status="verified", now=NOW)
    sdv = form_sdv(review.db, review.li, form_id=form)
    assert (sdv.status, sdv.items) == ("verified", {"WEIGHT": "verified", "WTDAT": "verified"})
    [first, *_] = events(review.db, entity_type="sdv_status")
    assert (first["event_type"], first["actor_role"], first["reason"]) == (
        "create",
        "monitor",
        "verified against source documents",
    )


@pytest.mark.requirement("REG-INTEG-05")
def test_changing_a_verified_value_resets_its_verification_and_the_forms(review: ReviewSetup) -> None:
    form = review.weight()
    set_sdv(review.db, review.mo, form_id=form, item="WEIGHT", status="verified", now=NOW)
    set_sdv(review.db, review.mo, form_id=form, item="WTDAT", status="verified", now=NOW)
    set_sdv(review.db, review.mo, form_id=form, status="verified", now=NOW)
    review.change_weight(form, "71.0", reason="transcription error")
    sdv = form_sdv(review.db, review.mo, form_id=form)
    assert (sdv.status, sdv.form_row, sdv.items) == (
        "changed-since",
        "changed-since",
        {"WEIGHT": "changed-since", "WTDAT": "verified"},  # the date did not change
    )
    resets = [e for e in events(review.db, entity_type="sdv_status") if e["new_value"] == '"changed-since"']
    assert sorted(e["reason"] for e in resets) == [
        "verified data changed: WEIGHT",
        'verified value of WEIGHT changed from "70.5" to "71.0"',
    ]
    assert {e["actor_username"] for e in resets} == {"li"}  # reset by the change, in its transaction
    set_sdv(review.db, review.mo, form_id=form, item="WEIGHT", status="verified", now=NOW)
    assert form_sdv(review.db, review.mo, form_id=form).items["WEIGHT"] == "verified"


@pytest.mark.requirement("REG-INTEG-05")
def test_withdrawing_a_verification_needs_a_reason(review: ReviewSetup) -> None:
    form = review.weight()
    set_sdv(review.db, review.mo, form_id=form, item="WEIGHT", status="verified", now=NOW)
    with pytest.raises(InvalidInput, match="reason: none is not allowed: withdrawing a verification needs a reason"):
        set_sdv(review.db, review.mo, form_id=form, item="WEIGHT", status="not-verified", now=NOW)
    set_sdv(review.db, review.mo, form_id=form, item="WEIGHT", status="not-verified", reason="wrong chart", now=NOW)
    assert form_sdv(review.db, review.mo, form_id=form).status == "not-verified"


def test_refusals_name_what_was_wrong_and_write_nothing(review: ReviewSetup) -> None:
    form = review.weight()
    review.staff("mo", "mo2", "li", "dm1", "pi")

    def verify(who: str = "mo", item: str | None = "WEIGHT", status: str = "verified", key: int = form):  # type: ignore[no-untyped-def]
        return lambda: set_sdv(review.db, getattr(review, who), form_id=key, item=item, status=status, now=NOW)

    attempts = [
        (verify(who="li"), PermissionDenied, 'user "li" may not sdv.set at site GZ01'),
        (verify(who="pi"), PermissionDenied, 'user "pi" may not sdv.set'),
        (verify(who="dm1"), PermissionDenied, 'user "dm1" may not sdv.set'),
        (verify(who="mo2"), PermissionDenied, 'user "mo2" may not sdv.set at site GZ01'),
        (verify(status="changed-since"), InvalidInput, 'status: "changed-since" is not allowed: a monitor sets one of'),
        (verify(item="HEIGHT"), InvalidInput, 'field: "HEIGHT" is not allowed: not an item of form WT'),
        (verify(key=404), NotFound, "no form_instance 404"),
    ]
    before = (audit_count(review.db), count(review.db, SdvStatus))
    for attempt, error, message in attempts:
        with pytest.raises(error) as caught:
            attempt()
        assert message in str(caught.value)
    assert (audit_count(review.db), count(review.db, SdvStatus)) == before
    lock_record(review.db, review.dm1, level="form", entity_id=form, now=NOW)
    with pytest.raises(RecordLocked):
        verify()()
