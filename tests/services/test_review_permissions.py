"""Every role × every review and control action × own site / other site, through the service functions themselves.

The expected answer comes from the hand-written role matrix of ``test_permission_matrix.SPEC`` (the specification):
a role may act where it holds the action's permission (site roles: at their own site only); signing also needs the
task in the delegation log, which no one here holds, so only the investigator (who keeps the log) may sign. An
action counts as allowed when it is not refused with PermissionDenied (an allowed call may still meet a state
conflict, such as answering a query already answered).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest

from dermtrial.services import Actor, PermissionDenied, ServiceError
from dermtrial.services.datacut import create_data_cut
from dermtrial.services.delegation import delegate_task
from dermtrial.services.locks import lock_record, request_study_lock, unlock_record, withdraw_study_request
from dermtrial.services.queries import answer_query, close_query, list_queries, open_query
from dermtrial.services.reference_ranges import add_reference_range
from dermtrial.services.sdv import set_sdv
from dermtrial.services.signatures import sign_record
from tests.conftest import NOW, PASSWORD, StudySetup
from tests.services.review_setup import ReviewSetup, make_review
from tests.services.test_permission_matrix import SITE_ROLES, SPEC

Action = Callable[[Actor, str], object]


def _actions(review: ReviewSetup, forms: dict[str, int], queries: dict[str, int]) -> dict[str, tuple[str, Action]]:
    db, counter = review.db, itertools.count(1)
    staff = {"own": "li", "other": "co2"}  # a coordinator at each site, to delegate to

    def lock(actor: Actor, place: str) -> None:
        lock_record(db, actor, level="form", entity_id=forms[place], now=NOW)
        unlock_record(db, actor, level="form", entity_id=forms[place], reason="matrix test", now=NOW)

    def study_lock(actor: Actor, _place: str) -> None:
        request_study_lock(db, actor, reason="matrix test", now=NOW)
        withdraw_study_request(db, actor, reason="matrix test", now=NOW)

    def reference_range(actor: Actor, place: str) -> None:
        start = dt.date(2020, 1, 1) + dt.timedelta(days=10 * next(counter))
        add_reference_range(
            db,
            actor,
            site_code="GZ01" if place == "own" else "SH02",
            laboratory="Lab",
            test_code="ALT",
            unit="U/L",
            lower="7",
            upper="40",
            effective_from=start,
            effective_to=start,
            now=NOW,
        )

    return {
        "open a query": (
            "query.raise",
            lambda a, p: open_query(
                db, a, entity_type="form_instance", entity_id=forms[p], field="WEIGHT", text="check", now=NOW
            ),
        ),
        "answer a query": ("query.answer", lambda a, p: answer_query(db, a, query_id=queries[p], text="ok", now=NOW)),
        "close a query": ("query.close", lambda a, p: close_query(db, a, query_id=queries[p], text="ok", now=NOW)),
        "list a site's queries": (
            "subject.read",
            lambda a, p: list_queries(db, a, now=NOW, site_code="GZ01" if p == "own" else "SH02"),
        ),
        "verify source data": ("sdv.set", lambda a, p: set_sdv(db, a, form_id=forms[p], status="verified", now=NOW)),
        "sign a form": (
            "form.sign",
            lambda a, p: sign_record(
                db, a, entity_type="form_instance", entity_id=forms[p], password=PASSWORD, meaning="approved", now=NOW
            ),
        ),
        "lock a form": ("lock.record", lock),
        "request the study lock": ("lock.study", study_lock),
        "freeze a data cut": (
            "data-cut.create",
            lambda a, p: create_data_cut(db, a, name=f"cut-{next(counter)}", reason="matrix test", now=NOW),
        ),
        "add a reference range": ("reference-range.manage", reference_range),
        "delegate a task": (
            "delegation.manage",
            lambda a, p: delegate_task(
                db,
                a,
                site_code="GZ01" if p == "own" else "SH02",
                username=staff[p],
                task="assess",
                start_date=NOW.date(),
                now=NOW,
            ),
        ),
    }


def _expected(role: str, permission: str, place: str) -> bool:
    allowed = permission in SPEC[role] and (role not in SITE_ROLES or place == "own")
    if permission == "form.sign":  # plus the delegation log: only its keeper signs without an entry
        allowed = allowed and "delegation.manage" in SPEC[role]
    return allowed


@pytest.fixture
def review(study: StudySetup) -> ReviewSetup:
    return make_review(study)


@pytest.mark.requirement("REG-ACCESS-01")
def test_every_role_every_review_action_at_own_and_other_site(review: ReviewSetup) -> None:
    other_subject, other_visit = review.new_subject(site="SH02", number="S900")
    forms = {"own": review.weight(), "other": review.weight(subject=other_subject, visit=other_visit)}
    review.staff("dm1")
    queries = {
        place: open_query(
            review.db, review.dm1, entity_type="form_instance", entity_id=form, field=None, text="matrix", now=NOW
        )
        for place, form in forms.items()
    }
    actions = _actions(review, forms, queries)
    wrong: list[str] = []
    for role in SPEC:
        actor = review.study.user(f"m-{role}", role, "GZ01" if role in SITE_ROLES else None)
        for name, (permission, action) in actions.items():
            for place in ("own", "other"):
                try:
                    action(actor, place)
                    got = True
                except PermissionDenied:
                    got = False
                except ServiceError:
                    got = True  # past the permission check, refused for the record's state
                if got != _expected(role, permission, place):
                    wrong.append(f"{role} {name} at {place} site: expected {_expected(role, permission, place)}")
    assert wrong == []
