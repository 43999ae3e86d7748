"""The delegation log: kept by the investigator, read by the permission checks, with start and end dates."""

from __future__ import annotations

import datetime as dt

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.services import Conflict, NotFound, PermissionDenied
from dermtrial.services.delegation import (
    TASKS,
    delegate_task,
    delegation_log,
    end_delegation,
    require_delegated,
)
from dermtrial.services.uow import unit_of_work
from dermtrial.store.models import Delegation, Site
from tests.conftest import NOW, StudySetup
from tests.services.helpers import audit_count, count, events
from tests.services.review_setup import ReviewSetup, make_review

MAR_1, MAR_4, MAR_31 = dt.date(2026, 3, 1), dt.date(2026, 3, 4), dt.date(2026, 3, 31)


@pytest.fixture
def review(study: StudySetup) -> ReviewSetup:
    return make_review(study)


def _allowed(review: ReviewSetup, who: str, task: str, now: dt.datetime = NOW, site: str = "GZ01") -> bool:
    """Whether ``who`` passes require_delegated for ``task`` (with its permission) at ``site`` at ``now``."""
    try:
        with unit_of_work(review.db, actor=getattr(review, who), now=now) as work:
            require_delegated(work, TASKS[task][1], task, work.session.get_one(Site, review.study.sites[site]))
    except PermissionDenied:
        return False
    return True


@pytest.mark.requirement("REG-ACCESS-04")
def test_a_delegated_task_is_allowed_between_its_dates_on_the_site_calendar(review: ReviewSetup) -> None:
    assert not _allowed(review, "sub", "assess-causality")
    delegate_task(
        review.db,
        review.pi,
        site_code="GZ01",
        username="sub",
        task="assess-causality",
        start_date=MAR_4,
        end_date=MAR_31,
        now=NOW,
    )
    assert _allowed(review, "sub", "assess-causality")
    # 2026-03-03T16:30Z is already 2026-03-04 00:30 in Guangzhou (UTC+8): the first day; 15:59Z is still the 3rd.
    assert _allowed(review, "sub", "assess-causality", dt.datetime(2026, 3, 3, 16, 30, tzinfo=dt.UTC))
    assert not _allowed(review, "sub", "assess-causality", dt.datetime(2026, 3, 3, 15, 59, tzinfo=dt.UTC))
    assert _allowed(review, "sub", "assess-causality", dt.datetime(2026, 3, 31, 15, 59, tzinfo=dt.UTC))  # last day
    assert not _allowed(review, "sub", "assess-causality", dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC))
    assert not _allowed(review, "sub", "sign-forms")  # only the task delegated
    assert _allowed(review, "pi", "sign-forms")  # the keeper of the log needs no delegation
    assert not _allowed(review, "li", "assess-causality")  # the role lacks the permission


@pytest.mark.requirement("REG-ACCESS-04", "REG-AUDIT-01")
def test_ending_a_delegation_early_is_audited_with_its_reason(review: ReviewSetup) -> None:
    review.staff("sub")
    entry = delegate_task(
        review.db, review.pi, site_code="GZ01", username="sub", task="sign-forms", start_date=MAR_1, now=NOW
    )
    end_delegation(
        review.db, review.pi, delegation_id=entry, end_date=dt.date(2026, 3, 3), reason="left the site", now=NOW
    )
    assert not _allowed(review, "sub", "sign-forms")
    [line] = delegation_log(review.db, review.mo, site_code="GZ01")
    assert (line.username, line.task, line.start_date, line.end_date, line.delegated_by, line.ended_reason) == (
        "sub",
        "sign-forms",
        MAR_1,
        dt.date(2026, 3, 3),
        "pi",
        "left the site",
    )
    changes = [e for e in events(review.db, entity_type="delegation") if e["event_type"] == "update"]
    assert [(e["field"], e["reason"]) for e in changes] == [
        ("end_date", "left the site"),
        ("ended_reason", "left the site"),
    ]


def test_refusals_name_what_was_wrong_and_write_nothing(review: ReviewSetup) -> None:
    review.staff("sub", "li", "mo", "co2")
    entry = delegate_task(
        review.db,
        review.pi,
        site_code="GZ01",
        username="sub",
        task="assess",
        start_date=MAR_1,
        end_date=MAR_31,
        now=NOW,
    )

    def delegate(
        username: str = "sub",
        task: str = "assess",
        start: dt.date = MAR_4,
        by: str = "pi",
        site: str = "GZ01",
        end: dt.date | None = None,
    ):  # type: ignore[no-untyped-def]
        return lambda: delegate_task(
            review.db,
            getattr(review, by),
            site_code=site,
            username=username,
            task=task,
            start_date=start,
            end_date=end,
            now=NOW,
        )

    attempts = [
        (
            delegate(task="cook"),
            InvalidInput,
            'task: "cook" is not allowed: not a delegable task: expected one of assess',
        ),
        (delegate(username="nobody"), NotFound, 'no user "nobody"'),
        (
            delegate(username="li", task="sign-forms"),
            InvalidInput,
            'username: "li" is not allowed: the task sign-forms can be delegated only to an active user whose role '
            "holds form.sign at site GZ01",
        ),
        (delegate(username="co2"), InvalidInput, "whose role holds form.write at site GZ01"),
        (delegate(by="li"), PermissionDenied, 'user "li" may not delegation.manage at site GZ01'),
        (delegate(by="pi", site="SH02"), PermissionDenied, "may not delegation.manage at site SH02"),
        (
            delegate(),
            Conflict,
            f"sub is already delegated assess at site GZ01 from 2026-03-01 to 2026-03-31 (entry {entry})",
        ),
        (delegate(start=MAR_4, end=MAR_1), InvalidInput, 'end_date: "2026-03-01" is not allowed'),
        (
            lambda: end_delegation(review.db, review.pi, delegation_id=entry, end_date=MAR_4, reason=" ", now=NOW),
            InvalidInput,
            "reason: a reason for ending the delegation is required",
        ),
        (
            lambda: end_delegation(review.db, review.pi, delegation_id=99, end_date=MAR_4, reason="x", now=NOW),
            NotFound,
            "no delegation 99",
        ),
    ]
    before = (audit_count(review.db), count(review.db, Delegation))
    for attempt, error, message in attempts:
        with pytest.raises(error) as caught:
            attempt()
        assert message in str(caught.value)
    assert (audit_count(review.db), count(review.db, Delegation)) == before
