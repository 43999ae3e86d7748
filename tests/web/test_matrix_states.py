"""The subject matrix's cell states (one rule per row of services/matrix.py's table), and its cost in statements."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from dermtrial.conduct.schedule import PlannedVisit
from dermtrial.services.matrix import cell_state, dashboard, subject_matrix
from dermtrial.services.subjects import screen_subject
from tests.conftest import NOW
from tests.web.conftest import Web

TODAY = dt.date(2026, 3, 10)
WINDOW = PlannedVisit(
    visit_id="week4", label="Week 4", study_day=29, target_date=dt.date(2026, 3, 10),
    window_start=dt.date(2026, 3, 7), window_end=dt.date(2026, 3, 13), forms=("PASI", "VS"),
)  # fmt: skip
FORMS = ("PASI", "VS")


@pytest.mark.parametrize(
    ("statuses", "visit_status", "taken", "today", "expected"),
    [
        ({}, None, False, TODAY, "none"),  # no visit row: not enrolled yet
        ({}, "not-done", False, TODAY, "not-done"),  # recorded as not done
        ({"PASI": "complete"}, "missed", False, TODAY, "not-done"),  # missed wins over a stray form
        ({"PASI": "locked", "VS": "signed"}, "done", True, TODAY, "signed"),  # the least advanced form decides
        ({"PASI": "verified", "VS": "not-done"}, "done", True, TODAY, "complete"),  # not done counts as done
        ({"PASI": "locked", "VS": "locked"}, "done", True, TODAY, "locked"),
        ({"PASI": "complete"}, "done", True, dt.date(2026, 3, 13), "in-progress"),  # last day of the window
        ({"PASI": "complete"}, "done", True, dt.date(2026, 3, 14), "overdue"),  # the day after it closed
        ({}, "planned", False, dt.date(2026, 3, 6), "planned"),  # the day before the window opens
        ({}, "planned", False, dt.date(2026, 3, 7), "due"),  # the day it opens
        ({"VS": "not-started"}, "planned", False, dt.date(2026, 3, 7), "due"),  # not started is nothing entered
        ({"VS": "in-progress"}, "planned", False, dt.date(2026, 3, 7), "in-progress"),
    ],
)
def test_cell_state(
    statuses: dict[str, str], visit_status: str | None, taken: bool, today: dt.date, expected: str
) -> None:
    state = cell_state(FORMS, statuses, visit_status=visit_status, visit_taken=taken, planned=WINDOW, today=today)
    assert state == expected


@pytest.mark.parametrize(
    ("statuses", "recorded", "taken", "expected"),
    [
        ({"PASI": "locked"}, {"VS"}, True, "locked"),  # records of their own have no review status to hold it back
        ({"PASI": "signed"}, {"VS"}, True, "signed"),
        ({}, {"PASI", "VS"}, True, "complete"),  # every expected form kept as records of its own
        ({"PASI": "in-progress"}, {"VS"}, True, "in-progress"),  # one form still missing
        ({}, {"VS"}, False, "in-progress"),  # records entered before the visit is: something is entered
    ],
)
def test_forms_kept_as_records_of_their_own_count_as_done(
    statuses: dict[str, str], recorded: set[str], taken: bool, expected: str
) -> None:
    state = cell_state(
        FORMS, statuses, visit_status="done" if taken else "planned", visit_taken=taken, planned=WINDOW, today=TODAY,
        recorded=recorded,
    )  # fmt: skip
    assert state == expected


def test_no_window_before_the_first_treatment_is_planned_not_overdue() -> None:
    state = cell_state(FORMS, {}, visit_status="planned", visit_taken=False, planned=None, today=dt.date(2030, 1, 1))
    assert state == "planned"


def test_the_matrix_costs_the_same_statements_for_more_subjects(web: Web) -> None:
    db, nurse = web.study.db, web.people["nurse.li"]

    def statements() -> int:
        seen: list[str] = []

        def count(*_args: object) -> None:
            seen.append("statement")

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            subject_matrix(db, web.people["stat"], now=NOW)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    before = statements()
    for day in range(3):
        screen_subject(db, nurse, site_code="GZ01", consent_version="1.0",
                       consent_signed_local=f"2019-07-1{day}T09:00", now=NOW)  # fmt: skip
    assert statements() == before
    # the single study, the protocol hash, grants, sites, subjects, visits, then services/expected_forms.py's three
    # (form statuses, the DM values PREG's applies_when reads, lab/tube/consent records), and BEGIN on SQLite
    assert before <= 12


def test_the_dashboard_counts_what_the_actor_may_read(web: Web) -> None:
    everywhere = dashboard(web.study.db, web.people["stat"], now=NOW)
    sh_only = dashboard(web.study.db, web.people["nurse.wu"], now=NOW)
    assert everywhere.target == 8  # NCT03392311's registered enrollment
    assert everywhere.screening > sh_only.screening >= 1
    assert sh_only.open_queries == 0
