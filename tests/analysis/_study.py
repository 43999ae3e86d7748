"""Small studies for the analysis tests, written as (subject, first treatment, [(study day, PASI), …]) rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from dermtrial.analysis import PasiAnalysis, analyse_pasi
from dermtrial.analysis.input import frame_from_rows
from dermtrial.protocol.builtin import load_builtin
from dermtrial.protocol.model import Protocol

FIRST = dt.date(2019, 8, 1)
PROTOCOL: Protocol = load_builtin("NCT03392311")

Visits = Sequence[tuple[int, str]]
"""(CDISC study day, PASI as text with at most one decimal)."""


def date_of(study_day: int, first: dt.date = FIRST) -> dt.date:
    """The calendar date of a CDISC study day (no day 0)."""
    assert study_day != 0
    return first + dt.timedelta(days=study_day - 1 if study_day > 0 else study_day)


def tenths(pasi: str) -> int:
    return int(Decimal(pasi) * 10)


def frame(subjects: Iterable[tuple[str, dt.date | None, Visits]]) -> pl.DataFrame:
    """The analysis input frame of subjects given by study day (a never-treated subject's days count from FIRST)."""
    rows = [
        (subject, first, date_of(day, first or FIRST), tenths(pasi))
        for subject, first, visits in subjects
        for day, pasi in visits
    ]
    return frame_from_rows(rows)


def pair_study(pairs: Sequence[tuple[str, str]], week12_day: int = 85) -> pl.DataFrame:
    """Subjects S01, S02 … with a baseline on day 1 and a week-12 value on ``week12_day``."""
    return frame(
        (f"S{i + 1:02d}", FIRST, [(1, baseline), (week12_day, week12)]) for i, (baseline, week12) in enumerate(pairs)
    )


def analyse(assessments: pl.DataFrame, rule: str = "observed") -> PasiAnalysis:
    return analyse_pasi(assessments, PROTOCOL, missing_rule=rule)


HEADER = "subject,first_treatment_date,assessment_date,pasi"


def write_csv(path: Path, rows: Iterable[Sequence[str]], header: str = HEADER) -> Path:
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def subject_row(analysis: PasiAnalysis, subject: str) -> dict[str, Any]:
    rows = [r for r in analysis.endpoints["primary"]["per_subject"] if r["subject"] == subject]
    assert len(rows) == 1
    return rows[0]
