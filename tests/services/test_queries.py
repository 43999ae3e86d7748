"""Queries: open by hand or from a failed edit check, answer, close, re-open; listed by site, subject, status, age."""

from __future__ import annotations

import datetime as dt

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.services import Conflict, NotFound, PermissionDenied
from dermtrial.services.locks import RecordLocked, lock_record
from dermtrial.services.queries import (
    answer_query,
    close_query,
    list_queries,
    open_edit_check_query,
    open_query,
    reopen_query,
)
from dermtrial.store.models import DataQuery, QueryMessage
from tests.conftest import NOW, StudySetup
from tests.services.helpers import audit_count, count, events
from tests.services.review_setup import ReviewSetup, make_review

DAY = dt.timedelta(days=1)


@pytest.fixture
def review(study: StudySetup) -> ReviewSetup:
    return make_review(study)


def _open(review: ReviewSetup, form: int, field: str | None = "WEIGHT", when: dt.datetime = NOW) -> int:
    return open_query(
        review.db,
        review.mo,
        entity_type="form_instance",
        entity_id=form,
        field=field,
        text="Weight 70.5 kg differs from the clinic chart (75.0 kg)",
        now=when,
    )


@pytest.mark.requirement("REG-INTEG-04")
def test_a_query_goes_open_answered_closed_reopened_with_its_thread_and_age(review: ReviewSetup) -> None:
    form = review.weight()
    query = _open(review, form)
    answer_query(review.db, review.li, query_id=query, text="Chart checked: 70.5 kg is right", now=NOW + DAY)
    close_query(review.db, review.mo, query_id=query, text="Confirmed at the visit", now=NOW + 2 * DAY)
    reopen_query(review.db, review.mo, query_id=query, text="Source shows 75.0 after all", now=NOW + 3 * DAY)
    [view] = list_queries(review.db, review.mo, now=NOW + 10 * DAY)
    assert (view.status, view.field, view.origin, view.site_code, view.age) == (
        "open",
        "WEIGHT",
        "manual",
        "GZ01",
        10 * DAY,
    )
    assert [(m.action, m.username) for m in view.messages] == [
        ("raise", "mo"),
        ("answer", "li"),
        ("close", "mo"),
        ("reopen", "mo"),
    ]
    status = [e for e in events(review.db, entity_type="data_query") if e["field"] == "status"]
    assert [(e["new_value"], e["actor_role"], e["reason"]) for e in status] == [
        ('"answered"', "coordinator", "answer: Chart checked: 70.5 kg is right"),
        ('"closed"', "monitor", "close: Confirmed at the visit"),
        ('"open"', "monitor", "reopen: Source shows 75.0 after all"),
    ]


def test_a_closed_query_is_as_old_as_it_was_when_closed(review: ReviewSetup) -> None:
    query = _open(review, review.weight())
    close_query(review.db, review.mo, query_id=query, text="resolved on site", now=NOW + 2 * DAY)
    [view] = list_queries(review.db, review.mo, now=NOW + 30 * DAY)
    assert view.age == 2 * DAY


@pytest.mark.requirement("REG-INTEG-04")
def test_a_failed_edit_check_opens_one_query_with_the_protocol_message(review: ReviewSetup) -> None:
    form = review.weight()
    first = open_edit_check_query(review.db, review.li, form_id=form, edit_check_id="wt_after_consent", now=NOW)
    again = open_edit_check_query(review.db, None, form_id=form, edit_check_id="wt_after_consent", now=NOW)
    assert again == first  # an unclosed query of the same check is not repeated
    [view] = list_queries(review.db, review.li, now=NOW)
    assert (view.origin, view.edit_check_id, view.field, view.text) == (
        "edit-check",
        "wt_after_consent",
        "WTDAT",
        "No procedure may be dated before consent.",
    )
    close_query(review.db, review.mo, query_id=first, text="consent date corrected", now=NOW)
    assert open_edit_check_query(review.db, None, form_id=form, edit_check_id="wt_after_consent", now=NOW) != first


def test_lists_filter_by_site_subject_status_and_age_and_follow_site_scope(review: ReviewSetup) -> None:
    gz = _open(review, review.weight(), when=NOW - 20 * DAY)
    gz_recent = _open(review, review.weight("71.0"), when=NOW - DAY)
    sh_subject, sh_visit = review.new_subject(site="SH02", number="S100")
    sh_form = review.weight(subject=sh_subject, visit=sh_visit)
    sh = open_query(
        review.db,
        review.mo2,
        entity_type="form_instance",
        entity_id=sh_form,
        field=None,
        text="Form missing its signature page",
        now=NOW - 10 * DAY,
    )
    answer_query(review.db, review.li, query_id=gz_recent, text="corrected", now=NOW)

    def ids(actor: str, **filters: object) -> list[int]:
        return [q.id for q in list_queries(review.db, getattr(review, actor), now=NOW, **filters)]  # type: ignore[arg-type]

    assert ids("dm1") == [gz, sh, gz_recent]
    assert ids("dm1", site_code="SH02") == [sh]
    assert ids("dm1", subject_id=review.subject) == [gz, gz_recent]
    assert ids("dm1", status="answered") == [gz_recent]
    assert ids("dm1", older_than=7 * DAY) == [gz, sh]
    assert ids("mo") == [gz, gz_recent]  # a GZ01 monitor sees GZ01 only
    with pytest.raises(PermissionDenied, match=r'user "mo" may not subject\.read at site SH02'):
        ids("mo", site_code="SH02")
    with pytest.raises(InvalidInput, match='status: "pending" is not allowed: not a query status'):
        ids("dm1", status="pending")


def test_refusals_name_what_was_wrong_and_write_nothing(review: ReviewSetup) -> None:
    form = review.weight()
    query = _open(review, form)
    review.staff("li", "mo", "mo2", "stat")

    def raise_(
        field: str | None = "WEIGHT",
        who: str = "mo",
        entity_type: str = "form_instance",
        key: int = form,
        text: str = "Please check",
    ):  # type: ignore[no-untyped-def]
        return lambda: open_query(
            review.db, getattr(review, who), entity_type=entity_type, entity_id=key, field=field, text=text, now=NOW
        )

    attempts = [
        (
            raise_(field="HEIGHT"),
            InvalidInput,
            'field: "HEIGHT" is not allowed: not an item of form WT: expected one of WTDAT, WEIGHT',
        ),
        (raise_(entity_type="pizza"), InvalidInput, 'entity_type: "pizza" is not allowed: expected one of subject'),
        (raise_(key=999), NotFound, "no form_instance 999"),
        (raise_(text="  "), InvalidInput, "text: the question is required"),
        (raise_(who="li"), PermissionDenied, 'user "li" may not query.raise at site GZ01'),
        (raise_(who="mo2"), PermissionDenied, 'user "mo2" may not query.raise at site GZ01'),
        (raise_(who="stat"), PermissionDenied, 'user "stat" may not query.raise'),
        (
            raise_(entity_type="subject", key=review.subject, field="shoe_size"),
            InvalidInput,
            "not a field of subject: expected one of study_id, site_id, screening_number",
        ),
        (
            lambda: answer_query(review.db, review.mo, query_id=query, text="x", now=NOW),
            PermissionDenied,
            'user "mo" may not query.answer',
        ),
        (
            lambda: reopen_query(review.db, review.mo, query_id=query, text="x", now=NOW),
            Conflict,
            f"query {query} is open; only a query that is answered or closed can be re-opened",
        ),
        (
            lambda: close_query(review.db, review.li, query_id=query, text="x", now=NOW),
            PermissionDenied,
            'user "li" may not query.close',
        ),
        (lambda: answer_query(review.db, review.li, query_id=77, text="x", now=NOW), NotFound, "no query 77"),
        (
            lambda: answer_query(review.db, review.li, query_id=query, text="x", now=NOW, expected_version=9),
            Conflict,
            "you edited version 9, it is now version 1",
        ),
        (
            lambda: open_edit_check_query(review.db, None, form_id=form, edit_check_id="nope", now=NOW),
            InvalidInput,
            'edit_check_id: "nope" is not allowed: not an edit check of form WT: wt_after_consent',
        ),
    ]
    before = (audit_count(review.db), count(review.db, DataQuery), count(review.db, QueryMessage))
    for attempt, error, message in attempts:
        with pytest.raises(error) as caught:
            attempt()
        assert message in str(caught.value)
    assert (audit_count(review.db), count(review.db, DataQuery), count(review.db, QueryMessage)) == before
    lock_record(review.db, review.dm1, level="subject", entity_id=review.subject, now=NOW)
    with pytest.raises(RecordLocked, match=f"subject {review.subject} was locked"):
        answer_query(review.db, review.li, query_id=query, text="x", now=NOW)
    close_query(review.db, review.mo, query_id=query, text="closed at lock", now=NOW)  # closing is still allowed
