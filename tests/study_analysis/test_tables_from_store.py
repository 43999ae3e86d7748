"""The study tables computed from a study built through the services (tests/study_analysis/study_setup.py), on SQLite
and PostgreSQL, against values worked out by hand from that module's docstring."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import polars as pl

from dermtrial.analysis.populations import members
from dermtrial.analysis.study_tables import StudyTables, derive_study_tables, labs_for_report, pasi_input
from dermtrial.reports.model import DataCutInfo
from dermtrial.reports.study_sections import DataSource, study_methods, study_sections
from dermtrial.services.analysis_data import AnalysisData, load_analysis_data
from tests.study_analysis.study_setup import SmallStudy

A, B, C, D, S = "GZ01-E01", "GZ01-E02", "GZ01-E03", "GZ01-E04", "GZ01-S001"
DAY1 = dt.date(2019, 8, 1)


def _tables(small: SmallStudy) -> tuple[AnalysisData, StudyTables]:
    data = load_analysis_data(small.setup.db, small.statistician)
    tables = derive_study_tables(
        protocol=data.protocol, subjects=data.subjects, assessments=data.assessments, exposures=data.exposures,
        deviations=data.deviations, adverse_events=data.adverse_events, relatedness=data.relatedness, labs=data.labs,
    )  # fmt: skip
    return data, tables


def _row(frame: pl.DataFrame, **where: Any) -> dict[str, Any]:
    rows = frame.filter([pl.col(k) == v for k, v in where.items()]).to_dicts()
    assert len(rows) == 1, (where, rows)
    return rows[0]


def test_subject_level_table_and_populations(small: SmallStudy) -> None:
    _, tables = _tables(small)
    adsl = tables.adsl
    columns = ("first_treatment_date", "last_treatment_date", "infusions", "total_cells", "ointment_grams",
               "tubes_dispensed", "tubes_returned", "disposition", "treatment_status", "rater_changes",
               "major_deviations")  # fmt: skip
    expected = {
        # A: infusions on days 1, 29, 57 (2019-09-26 the last exposure); 250.2 − 50.0 g; PASI rater changed once.
        A: (DAY1, dt.date(2019, 9, 26), 3, 375_000_000, Decimal("200.2"), 1, 1, "completed", "on-treatment", 1, 0),
        # B: one infusion; the major procedure deviation.
        B: (DAY1, DAY1, 1, 125_000_000, None, 0, 0, "ongoing", "on-treatment", 0, 1),
        # C: never infused; first treatment = the tube dispensed on 2019-08-05, not returned (no grams).
        C: (dt.date(2019, 8, 5), dt.date(2019, 8, 5), 0, 0, None, 1, 0, "withdrawn", "not-started", 0, 0),
        # D: the end-of-treatment date wins over the last infusion; the late week 12 is a minor deviation.
        D: (DAY1, dt.date(2019, 10, 1), 1, 125_000_000, None, 0, 0, "ongoing", "discontinued", 0, 0),
        S: (None, None, 0, 0, None, 0, 0, "screen failure", "not-started", 0, 0),
    }
    for subject, values in expected.items():
        row = _row(adsl, subject=subject)
        assert tuple(row[c] for c in columns) == values, subject
    assert _row(adsl, subject=C)["withdrawal_reason"] == "consent withdrawn"
    assert _row(adsl, subject=D)["discontinuation_reason"] == "lack of efficacy"
    assert _row(adsl, subject=S)["screen_failure_reasons"] == ["inclusion I2"]
    assert members(adsl, "enrolled") == [A, B, C, D]
    assert members(adsl, "fas") == [A, B, D]  # C was never infused
    assert members(adsl, "pp") == [A]  # B: a major deviation; D: week 12 on day 90, outside 82–88
    assert members(adsl, "safety") == [A, B, C, D]  # C had ointment
    assert (tables.primary_population, tables.safety_population) == ("fas", "safety")


def test_disposition_counts(small: SmallStudy) -> None:
    _, tables = _tables(small)
    rows = {(r["category"], r["reason"]): r["n"] for r in tables.disposition.to_dicts()}
    assert rows == {
        ("screened", None): 5,
        ("screen failure", None): 1,
        ("screen failure", "inclusion I2"): 1,
        ("enrolled", None): 4,
        ("treated", None): 4,
        ("completed", None): 1,
        ("withdrawn", None): 1,
        ("withdrawn", "consent withdrawn"): 1,
        ("treatment discontinued", None): 1,
        ("treatment discontinued", "lack of efficacy"): 1,
        ("ongoing", None): 2,
    }


def test_analysis_table_days_windows_and_improvement(small: SmallStudy) -> None:
    _, tables = _tables(small)
    pasi = tables.adam.filter(pl.col("parameter") == "pasi")
    columns = ("study_day", "value", "baseline", "change", "percent_improvement", "analysis_visit", "window",
               "analysis_flag", "in_fas", "in_pp")  # fmt: skip
    got = {(r["subject"], r["visit"]): tuple(r[c] for c in columns) for r in pasi.to_dicts()}
    assert got == {
        (A, "day1"): (1, 24.0, 24.0, None, None, "baseline", "baseline", True, True, True),
        (A, "week12"): (85, 6.0, 24.0, -18.0, 75.0, "week12", "in", True, True, True),
        (B, "day1"): (1, 24.0, 24.0, None, None, "baseline", "baseline", True, True, False),
        (B, "week12"): (84, 12.0, 24.0, -12.0, 50.0, "week12", "in", True, True, False),
        (D, "day1"): (1, 20.0, 20.0, None, None, "baseline", "baseline", True, True, False),
        # day 90: after the week-12 window (82–88) and before week 24's (162–176): no analysis visit
        (D, "week12"): (90, 4.8, 20.0, -15.2, 76.0, None, "out", False, True, False),
    }
    bsa = _row(tables.adam, subject=A, parameter="bsa", visit="week12")
    assert (bsa["change"], bsa["percent_improvement"], bsa["parameter_label"]) == (-15.0, 75.0, "BSA (%)")


def test_safety_tables(small: SmallStudy) -> None:
    data, tables = _tables(small)
    events = {r["term"]: r for r in tables.events.to_dicts()}
    assert (events["Headache"]["study_day"], events["Headache"]["treatment_emergent"]) == (-1, False)  # day before
    assert (
        events["Infusion related reaction"]["study_day"],
        events["Infusion related reaction"]["treatment_emergent"],
    ) == (1, True)
    by_grade = {r["term"]: r for r in tables.ae_by_grade.to_dicts()}
    assert list(by_grade) == ["any adverse event", "Dry skin", "Hypercalcemia", "Infusion related reaction", "Pruritus"]
    grades = ("subjects", "events", "grade 1", "grade 2", "grade 3", "grade 4", "grade 5", "grade not given")
    assert tuple(by_grade["any adverse event"][g] for g in grades) == (3, 5, 2, 0, 1, 0, 0, 0)  # A 1, B 3, C 1
    assert tuple(by_grade["Pruritus"][g] for g in grades) == (1, 2, 0, 0, 1, 0, 0, 0)  # B once, at its worst grade
    related = {(r["intervention"], r["term"]): (r["related"], r["not assessed"], r["not related"])
               for r in tables.ae_by_relatedness.to_dicts()}  # fmt: skip
    assert related[("admsc", "any adverse event")] == (1, 2, 0)  # A related; B's grade-3 pruritus and C unassessed
    assert related[("calcipotriol", "any adverse event")] == (1, 1, 1)  # B related, C unassessed, A not related
    assert related[("calcipotriol", "Pruritus")] == (1, 0, 0)
    assert related[("admsc", "Infusion related reaction")] == (1, 0, 0)
    serious = tables.serious.to_dicts()
    assert [(r["subject"], r["term"], r["grade"], r["seriousness"], r["sae_reports"]) for r in serious] == [
        (B, "Hypercalcemia", 3, "hospitalisation", 1)
    ]
    shift = {(r["test"], r["baseline"], r["worst"]): r["n"] for r in tables.lab_shift.to_dicts()}
    assert shift == {("PLAT", "0", "2"): 1, ("PLAT", "0", "0"): 1}  # A: 200 → 100 → 74.9; B: 200 → 210
    reactions = [(r["subject"], r["source"], r["detail"]) for r in tables.infusion_reactions.to_dicts()]
    assert reactions == [(A, "adverse event", "grade 1"), (A, "infusion record", "mild flushing")]
    ointment = {r["subject"]: r for r in tables.ointment.to_dicts()}
    assert (ointment[A]["ointment_grams"], ointment[A]["max_grams_per_week"], ointment[A]["tubes_above_limit"]) == (
        Decimal("200.2"), 100.1, 1,
    )  # fmt: skip
    assert (ointment[C]["tubes_dispensed"], ointment[C]["tubes_returned"], ointment[C]["ointment_grams"]) == (
        1,
        0,
        None,
    )
    labs = labs_for_report(data.labs, tables)
    assert labs.filter(pl.col("subject") == A)["study_day"].to_list() == [-2, 15, 29]


def test_primary_input_is_the_fas_pasi_in_tenths(small: SmallStudy) -> None:
    data, tables = _tables(small)
    frame = pasi_input(tables, data.assessments)
    assert frame.columns == ["subject", "first_treatment_date", "assessment_date", "pasi_tenths"]
    assert [(r["subject"], r["pasi_tenths"]) for r in frame.to_dicts()] == [
        (A, 240), (A, 60), (B, 240), (B, 120), (D, 200), (D, 48),
    ]  # fmt: skip


def test_sections_lay_out_the_tables_rounded_for_display(small: SmallStudy) -> None:
    data, tables = _tables(small)
    live = study_sections(tables, data.protocol, DataSource(data.sites, None))
    assert [s.id for s in live] == ["populations", "disposition", "secondary", "safety", "subjects"]
    for section in live:
        for table in section.tables:
            assert all(len(row) == len(table.columns) for row in table.rows), table.title
            assert all(cell is None or isinstance(cell, str | int | float) for row in table.rows for cell in row)
    assert live[0].paragraphs[0].startswith("Live data")
    sizes = {row[0]: row[3] for row in live[0].tables[0].rows}
    assert sizes == {"Enrolled": 4, "Full analysis set": 3, "Per-protocol set": 1, "Safety set": 4}
    secondary = {(row[0], row[1]): row[2:] for row in live[2].tables[0].rows}
    # FAS analysed PASI: baseline 24.0, 24.0, 20.0 (mean 22.7); week 12 of A and B only (D is out of window)
    assert secondary[("PASI", "baseline")] == (3, "22.7", "2.3", "24.0", None, None)
    assert secondary[("PASI", "week12")] == (2, "9.0", "4.2", "9.0", "-15.0", "62.5")
    cut = DataCutInfo("primary-endpoint", dt.datetime(2026, 3, 4, 1, 30, tzinfo=dt.UTC), "ab" * 32)
    on_cut = study_sections(tables, data.protocol, DataSource(data.sites, cut))
    assert on_cut[0].paragraphs[0].startswith("Data cut primary-endpoint (taken 2026-03-04T01:30:00+00:00")
    assert "ab" * 32 in on_cut[0].paragraphs[0]
    assert len(study_methods(tables)) == 4
