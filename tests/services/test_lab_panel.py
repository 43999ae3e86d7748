"""One blood draw recorded as a panel: one unit of work storing each result exactly as ``record_lab_result`` does
(SI value, range, CTCAE grade, derivation and alerts), all or nothing; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event as sql_event
from sqlalchemy import select

from dermtrial.services import PermissionDenied
from dermtrial.services.enrollment import enroll_subject
from dermtrial.services.errors import InvalidInput
from dermtrial.services.forms import save_form
from dermtrial.services.locks import RecordLocked, lock_record
from dermtrial.services.reference_ranges import add_reference_range
from dermtrial.services.safety_labs import LabEntry, LabRecorded, _history, record_lab_panel, record_lab_result
from dermtrial.services.subjects import load_subject, screen_subject
from dermtrial.services.uow import unit_of_work
from dermtrial.services.visits import record_visit, schedule_visits
from dermtrial.store.models import LabResult, Visit
from tests.conftest import NOW, StudySetup
from tests.services.conduct_setup import FIRST, Enrolled, approve_eligibility, enrolled
from tests.services.helpers import audit_count, count, events

DRAW = "2019-08-15T08:00"  # on treatment: graded against the baseline of 2019-07-30


def _ranges(study: StudySetup) -> None:
    pi = study.user("dr.lab", "investigator", "GZ01")
    for test, unit, lower, upper in (
        ("PLAT", "10^9/L", "125", "350"),
        ("CA", "mmol/L", "2.11", "2.52"),
        ("ALT", "U/L", "7", "40"),
        ("HGB", "g/L", "115", "150"),
        ("ALB", "g/L", "35", "55"),
    ):
        add_reference_range(
            study.db, pi, site_code="GZ01", laboratory="GPHCM central lab", test_code=test, unit=unit,
            lower=lower, upper=upper, effective_from=dt.date(2019, 1, 1), now=NOW,
        )  # fmt: skip


def _another(study: StudySetup, site: Enrolled) -> int:
    """A second subject enrolled at GZ01 by the same people."""
    db = study.db
    subject = screen_subject(
        db, site.crc, site_code="GZ01", consent_version="1.0", consent_signed_local="2019-07-10T10:00", now=NOW
    )
    approve_eligibility(db, site.crc, site.pi, subject)
    enroll_subject(db, site.pi, subject_id=subject, enrolled_local="2019-07-25", now=NOW)
    with unit_of_work(db, actor=site.crc, now=NOW) as work:
        schedule_visits(work, load_subject(work, subject, "form.write"))
    return subject


def _ready(study: StudySetup, site: Enrolled, subject_id: int) -> None:
    """DM form, day 1 on :data:`FIRST`, and pre-treatment results (the baselines) one by one."""
    dm = {"BRTHDAT": "1980-02-29", "SEX": "F", "HEIGHT": "162.5"}
    save_form(study.db, site.crc, subject_id=subject_id, form_code="DM", item_values=dm, now=NOW)
    record_visit(study.db, site.crc, subject_id=subject_id, visit_code="day1", visit_local=FIRST.isoformat(), now=NOW)
    for code, value, unit in (("PLAT", "200", "10^9/L"), ("ALT", "20", "U/L"), ("HGB", "130", "g/L")):
        record_lab_result(
            study.db, site.crc, subject_id=subject_id, test_code=code, value=Decimal(value), unit=unit,
            collected_local="2019-07-30", now=NOW,
        )  # fmt: skip


def _setup(study: StudySetup) -> tuple[Enrolled, int, int]:
    """Two subjects ready for an on-treatment draw: the panel's and its twin's."""
    site = enrolled(study)
    twin = _another(study, site)
    _ranges(study)
    for subject_id in (site.subject_id, twin):
        _ready(study, site, subject_id)
    return site, site.subject_id, twin


def _week2(study: StudySetup, subject_id: int) -> int:
    with study.db.reading() as session:
        return session.scalars(
            select(Visit.id).where(Visit.subject_id == subject_id, Visit.visit_code == "week2")
        ).one()


# PLAT 74.9 is grade 2 (shift alert from grade 0), ALT 250 is > 5 × ULN from a normal baseline (grade 3 alert),
# HGB 75 g/L is grade 3 (< 80), CA 11.4 mg/dL corrected with ALB 30 g/L is grade 2, ALB 30 g/L is grade 1 (< 30 is 2)
DRAW_ENTRIES = (
    LabEntry("PLAT", Decimal("74.9"), "10^3/uL"),
    LabEntry("ALT", Decimal("250"), "U/L"),
    LabEntry("ALB", Decimal("3.0"), "g/dL"),
    LabEntry("CA", Decimal("11.4"), "mg/dL"),
    LabEntry("HGB", Decimal("7.5"), "g/dL"),
    LabEntry("WBC", Decimal("6.1"), "10^9/L"),  # no site range: stored, the reason in the derivation
)

_ROW = ("test_code", "value_text", "value", "unit", "si_value", "si_unit", "reference_range_id", "grade",
        "grading_version", "collected_local", "collected_tz", "visit_id")  # fmt: skip


def _rows(study: StudySetup, subject_id: int) -> dict[str, tuple[Any, ...]]:
    with study.db.reading() as session:
        rows = session.scalars(
            select(LabResult).where(LabResult.subject_id == subject_id, LabResult.collected_local == DRAW)
        ).all()
        return {row.test_code: tuple(getattr(row, name) for name in _ROW) for row in rows}


def _trail(study: StudySetup, subject_id: int) -> dict[str, list[tuple[str, str, str, Any]]]:
    """The lab_result events of the draw per test: type, field, role, new value (ids left out)."""
    codes: dict[str, str] = {}
    with study.db.reading() as session:
        for row in session.scalars(select(LabResult).where(LabResult.subject_id == subject_id)):
            if row.collected_local == DRAW:
                codes[str(row.id)] = row.test_code
    out: dict[str, list[tuple[str, str, str, Any]]] = {}
    for event in events(study.db, entity_type="lab_result", subject_id=subject_id):
        if event["entity_id"] not in codes:
            continue
        new = json.loads(event["new_value"]) if event["new_value"] else None
        if isinstance(new, dict):
            new = {key: value for key, value in new.items() if key not in {"id", "subject_id"}}
        item = (event["event_type"], event["field"], event["actor_role"], event["reason"], new)
        out.setdefault(codes[event["entity_id"]], []).append(item)
    return {code: sorted(items, key=repr) for code, items in out.items()}


@pytest.mark.requirement("CLIN-GRADE-04", "REG-AUDIT-01")
def test_a_panel_stores_the_same_rows_and_audit_events_as_its_results_one_by_one(study: StudySetup) -> None:
    site, subject, twin = _setup(study)
    requests_before = {e["request_id"] for e in events(study.db)}
    panel = record_lab_panel(
        study.db, site.crc, subject_id=subject, results=DRAW_ENTRIES, collected_local=DRAW, now=NOW
    )
    one_by_one = [
        record_lab_result(
            study.db, site.crc, subject_id=twin, test_code=entry.test_code, value=entry.value, unit=entry.unit,
            collected_local=DRAW, now=NOW,
        )
        for entry in DRAW_ENTRIES
    ]  # fmt: skip
    # what comes back, in the order given
    assert [r.grade for r in panel] == [r.grade for r in one_by_one] == [2, 3, 1, 2, 3, None]
    assert [[a.kind for a in r.alerts] for r in panel] == [[a.kind for a in r.alerts] for r in one_by_one]
    assert [r.range_reason for r in panel] == [r.range_reason for r in one_by_one]
    assert panel[5].range_reason is not None  # WBC: no range at the site
    assert [r.grading.to_json() if r.grading else None for r in panel] == [
        r.grading.to_json() if r.grading else None for r in one_by_one
    ]
    assert panel[3].grading is not None
    assert panel[3].grading.to_json()["calcium"] == "corrected"
    with study.db.reading() as session:
        assert [session.get_one(LabResult, r.id).test_code for r in panel] == [e.test_code for e in DRAW_ENTRIES]
    # what was stored
    rows = _rows(study, subject)
    assert sorted(rows) == sorted(e.test_code for e in DRAW_ENTRIES)
    assert rows == _rows(study, twin)
    assert (rows["PLAT"][4:6], rows["PLAT"][7]) == ((Decimal("74.9"), "10^9/L"), 2)
    assert rows["PLAT"][6] is not None  # the site's range applied
    trail = _trail(study, subject)
    assert trail == _trail(study, twin)
    assert sorted(trail) == sorted(rows)
    kinds = {code: {(t[0], t[1]) for t in items} for code, items in trail.items()}
    assert all(any(t[0] == "create" for t in items) for items in trail.values())
    assert ("derivation", "ctcae") in kinds["CA"]
    assert ("safety-alert", "shift_from_baseline") in kinds["PLAT"]
    # the panel was one unit of work: one new request id for its events, one per result for the twin
    panel_requests = {e["request_id"] for e in events(study.db, subject_id=subject)} - requests_before
    twin_requests = {e["request_id"] for e in events(study.db, subject_id=twin)} - requests_before
    assert (len(panel_requests), len(twin_requests)) == (1, len(DRAW_ENTRIES))


@pytest.mark.parametrize("order", ["albumin first", "calcium first"])
def test_calcium_is_corrected_with_the_panels_albumin_in_either_order(study: StudySetup, order: str) -> None:
    site, subject, _ = _setup(study)
    albumin, calcium = LabEntry("ALB", Decimal("3.0"), "g/dL"), LabEntry("CA", Decimal("11.4"), "mg/dL")
    entries = [albumin, calcium] if order == "albumin first" else [calcium, albumin]
    results = record_lab_panel(study.db, site.crc, subject_id=subject, results=entries, collected_local=DRAW, now=NOW)
    graded = results[entries.index(calcium)]
    assert graded.grading is not None
    assert graded.grading.to_json()["calcium"] == "corrected"
    # 11.4 mg/dL = 2.845 mmol/L; albumin 30 g/L adds 0.20 → 3.04 mmol/L: grade 2 (uncorrected 2.845 is grade 1)
    assert graded.grade == 2
    assert results[entries.index(albumin)].grade == 1


def test_calcium_of_a_panel_without_albumin_is_graded_as_measured(study: StudySetup) -> None:
    site, subject, _ = _setup(study)
    (calcium,) = record_lab_panel(
        study.db, site.crc, subject_id=subject, results=[LabEntry("CA", Decimal("11.4"), "mg/dL")],
        collected_local=DRAW, now=NOW,
    )  # fmt: skip
    assert calcium.grading is not None
    assert (calcium.grading.to_json()["calcium"], calcium.grade) == ("uncorrected", 1)


BAD = [
    # (entry replacing results[2], problem path, words of the message)
    (LabEntry("CA", Decimal(1), "g/L"), "results[2].unit", "CA results are reported in mmol/L, mg/dL"),
    (LabEntry("XYZ", Decimal(1), "U/L"), "results[2].test_code", '"XYZ" is not allowed: one of CA, ALB, ALT'),
    (LabEntry("HGB", Decimal(-1), "g/L"), "results[2].value", "-1 is not allowed: a number ≥ 0"),
    (LabEntry("HGB", Decimal("NaN"), "g/L"), "results[2].value", "NaN is not allowed: a number ≥ 0"),
    (LabEntry("ALB", Decimal(40), "g/L"), "results[2].test_code", "not allowed twice in one panel: results[0]"),
]


@pytest.mark.parametrize(("entry", "path", "words"), BAD, ids=[row[1] + ":" + str(row[0].value) for row in BAD])
def test_one_bad_entry_refuses_the_whole_panel_naming_it(
    study: StudySetup, entry: LabEntry, path: str, words: str
) -> None:
    site, subject, _ = _setup(study)
    entries = [LabEntry("ALB", Decimal("3.0"), "g/dL"), LabEntry("PLAT", Decimal(200), "10^9/L"), entry]
    stored, audited = count(study.db, LabResult), audit_count(study.db)
    with pytest.raises(InvalidInput) as refused:
        record_lab_panel(study.db, site.crc, subject_id=subject, results=entries, collected_local=DRAW, now=NOW)
    assert [p.as_dict()["path"] for p in refused.value.problems] == [path]
    assert words in refused.value.problems[0].message
    assert (count(study.db, LabResult), audit_count(study.db)) == (stored, audited)


def test_every_bad_entry_is_named_and_an_empty_panel_is_refused(study: StudySetup) -> None:
    site, subject, _ = _setup(study)
    stored, audited = count(study.db, LabResult), audit_count(study.db)
    entries = [
        LabEntry("PLAT", Decimal(1), "g/L"),
        LabEntry("ALT", Decimal(5), "U/L"),
        LabEntry("PLAT", Decimal(1), "10^9/L"),
    ]
    with pytest.raises(InvalidInput) as refused:
        record_lab_panel(study.db, site.crc, subject_id=subject, results=entries, collected_local=DRAW, now=NOW)
    assert [p.as_dict()["path"] for p in refused.value.problems] == ["results[0].unit", "results[2].test_code"]
    assert "results[0] is also PLAT" in refused.value.problems[1].message
    with pytest.raises(InvalidInput, match=r"^results: an empty panel is not allowed: at least one result$"):
        record_lab_panel(study.db, site.crc, subject_id=subject, results=[], collected_local=DRAW, now=NOW)
    with pytest.raises(InvalidInput, match="collected_local"):
        record_lab_panel(study.db, site.crc, subject_id=subject, results=entries[1:2], collected_local="15/08", now=NOW)
    assert (count(study.db, LabResult), audit_count(study.db)) == (stored, audited)


@pytest.mark.requirement("REG-INTEG-06")
def test_a_locked_visit_refuses_the_whole_panel(study: StudySetup) -> None:
    site, subject, _ = _setup(study)
    week2 = _week2(study, subject)
    manager = study.user("dee", "data-manager", None)
    lock_record(study.db, manager, level="visit", entity_id=week2, now=NOW, reason="interim cut")
    stored, audited = count(study.db, LabResult), audit_count(study.db)
    with pytest.raises(RecordLocked):
        record_lab_panel(
            study.db, site.crc, subject_id=subject, results=DRAW_ENTRIES, collected_local=DRAW, now=NOW,
            visit_id=week2,
        )  # fmt: skip
    assert (count(study.db, LabResult), audit_count(study.db)) == (stored, audited)
    # the same draw without the visit is the subject's, which is not locked
    recorded = record_lab_panel(
        study.db, site.crc, subject_id=subject, results=DRAW_ENTRIES[:2], collected_local=DRAW, now=NOW
    )
    assert len(recorded) == 2


def test_a_user_of_another_site_is_refused_as_for_one_result(study: StudySetup) -> None:
    _, subject, _ = _setup(study)
    outsider = study.user("nurse.zhao", "coordinator", "SH02")
    stored, audited = count(study.db, LabResult), audit_count(study.db)
    with pytest.raises(PermissionDenied) as one:
        record_lab_result(
            study.db, outsider, subject_id=subject, test_code="PLAT", value=Decimal(1), unit="10^9/L",
            collected_local=DRAW, now=NOW,
        )  # fmt: skip
    with pytest.raises(PermissionDenied) as panel:
        record_lab_panel(
            study.db, outsider, subject_id=subject, results=[LabEntry("PLAT", Decimal(1), "10^9/L")],
            collected_local=DRAW, now=NOW,
        )  # fmt: skip
    assert str(panel.value) == str(one.value)
    assert [p.as_dict() for p in panel.value.problems] == [p.as_dict() for p in one.value.problems]
    assert (count(study.db, LabResult), audit_count(study.db)) == (stored, audited)


def test_lab_entry_is_frozen() -> None:
    entry = LabEntry("CA", Decimal("2.3"), "mmol/L")
    assert entry.albumin_g_per_l is None
    with pytest.raises(AttributeError):
        entry.value = Decimal(1)  # type: ignore[misc]


# a panel of 8: ALB before CA (corrected with it), and tests with and without a site range
EIGHT = (
    LabEntry("CA", Decimal("9.6"), "mg/dL"),
    LabEntry("PLAT", Decimal("210"), "10^9/L"),
    LabEntry("ALT", Decimal("31"), "U/L"),
    LabEntry("ALB", Decimal("4.1"), "g/dL"),
    LabEntry("HGB", Decimal("12.9"), "g/dL"),
    LabEntry("WBC", Decimal("6.1"), "10^9/L"),
    LabEntry("AST", Decimal("28"), "U/L"),
    LabEntry("K", Decimal("4.2"), "mmol/L"),
)
# measured: 30 on SQLite (one INSERT per row), 24 on PostgreSQL (the rows in one INSERT); 39 and 40 when each result
# was flushed alone and read the subject's results of its test again
PANEL_STATEMENTS = 32


def _earlier_draws(study: StudySetup, site: Enrolled, subject_id: int, draws: int) -> None:
    """``draws`` earlier panels of the eight tests, before and after day 1 (baselines and on-treatment results)."""
    for day in range(draws):
        collected = (FIRST + dt.timedelta(days=day - draws // 2)).isoformat() + "T07:30"
        record_lab_panel(study.db, site.crc, subject_id=subject_id, results=EIGHT, collected_local=collected, now=NOW)


def _statements(study: StudySetup, site: Enrolled, subject_id: int) -> tuple[list[str], list[LabRecorded]]:
    """The SQL statements sent for one panel of :data:`EIGHT`, and what it stored."""
    sent: list[str] = []

    def count_statement(*args: Any) -> None:
        sent.append(" ".join(args[2].split()))

    sql_event.listen(study.db.engine, "before_cursor_execute", count_statement)
    try:
        recorded = record_lab_panel(
            study.db, site.crc, subject_id=subject_id, results=EIGHT, collected_local=DRAW, now=NOW
        )
    finally:
        sql_event.remove(study.db.engine, "before_cursor_execute", count_statement)
    return sent, recorded


@pytest.mark.requirement("CLIN-GRADE-04")
def test_a_panel_sends_as_many_statements_with_2_earlier_draws_as_with_20(study: StudySetup) -> None:
    site, few, many = _setup(study)
    _earlier_draws(study, site, few, 2)
    _earlier_draws(study, site, many, 20)
    sent_few, recorded_few = _statements(study, site, few)
    sent_many, recorded_many = _statements(study, site, many)
    # the results were read once, not once per result, and the rows flushed together: the count does not grow with
    # the subject's history
    assert len(sent_few) == len(sent_many) <= PANEL_STATEMENTS
    assert [s.startswith("SELECT lab_result.id") for s in sent_many].count(True) == 1
    # both panels graded against a baseline, calcium corrected with the panel's albumin
    for recorded in (recorded_few, recorded_many):
        assert recorded[0].grading is not None
        assert recorded[0].grading.to_json()["calcium"] == "corrected"
    assert [r.grade for r in recorded_few] == [r.grade for r in recorded_many]


# 41 g/L; 33.3333 g/L; 33.3333335 g/L (more than the column's 6 decimals: read back from the database); 0 g/L
@pytest.mark.parametrize("albumin", ["4.1", "3.33333", "3.33333335", "0"])
def test_calcium_is_corrected_with_the_albumin_as_stored(study: StudySetup, albumin: str) -> None:
    """The panel's albumin, as the column gives it back (6 decimals), corrects the calcium as a stored one would."""
    site, subject, twin = _setup(study)
    panel = record_lab_panel(
        study.db, site.crc, subject_id=subject, collected_local=DRAW, now=NOW,
        results=[LabEntry("CA", Decimal("9.6"), "mg/dL"), LabEntry("ALB", Decimal(albumin), "g/dL")],
    )  # fmt: skip
    record_lab_result(
        study.db, site.crc, subject_id=twin, test_code="ALB", value=Decimal(albumin), unit="g/dL",
        collected_local=DRAW, now=NOW,
    )  # fmt: skip
    alone = record_lab_result(
        study.db, site.crc, subject_id=twin, test_code="CA", value=Decimal("9.6"), unit="mg/dL",
        collected_local=DRAW, now=NOW,
    )  # fmt: skip
    assert panel[0].grading is not None
    assert alone.grading is not None
    assert panel[0].grading.to_json() == alone.grading.to_json()
    assert panel[0].grade == alone.grade
    assert _rows(study, subject) == _rows(study, twin)
    assert _trail(study, subject) == _trail(study, twin)


def test_in_a_batch_earlier_results_are_read_with_their_stored_values(study: StudySetup) -> None:
    """The session of a batch holds a result entered earlier in the batch with its SI value before the column kept 6
    decimals (1.37 mg/dL of creatinine is 121.1103253182... umol/L); baselines must be read as stored (121.110325),
    as when each use case runs alone."""
    site, subject_id, _ = _setup(study)
    entry = LabEntry("CREAT", Decimal("1.37"), "mg/dL")
    with study.db.batch(savepoints=False):
        record_lab_panel(study.db, site.crc, subject_id=subject_id, results=[entry], collected_local="2019-07-30",
                         now=NOW)  # fmt: skip
        with study.db.reading() as session:  # the batch's own session
            in_batch = _history(session, subject_id)["CREAT"][0].si_value
    with study.db.reading() as session:
        stored = _history(session, subject_id)["CREAT"][0].si_value
    assert stored == Decimal("121.110325")
    assert in_batch == stored
