"""Hand-built report inputs: n = 0, n = 1 and n = 8, with or without sections, labs and a data cut.

The n = 8 study is computed by hand (improvement % = (baseline − week 12) / baseline × 100):

=======  ========  =======  =====  ==============================================
subject  baseline  week 12  day    improvement
=======  ========  =======  =====  ==============================================
01-001   20.0      2.0      85     90.0
01-002   15.0      7.5      84     50.0
01-003   12.0      3.0      86     75.0
01-004   30.0      0.0      85     100.0
01-005   18.0      12.0     88     33.333… (shows 33.3)
01-006   10.0      12.0     82     −20.0 (worse)
01-007   24.0      —        —      not evaluable: only assessment after day 1 is day 92
01-008   0.0       0.0      85     not evaluable: baseline 0
=======  ========  =======  =====  ==============================================

n = 6, missing 2; responders PASI50 4/6, PASI75 3/6, PASI90 2/6, PASI100 1/6.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from dermtrial.reports.model import DataCutInfo, ReportInput, Section, Table

PROTOCOL = "NCT03392311"
DATA_HASH = "3f" * 32
SNAPSHOT_HASH = "a1" * 32
TITLE = "Efficacy and Safety of Expanded Allogeneic Adipose-derived Mesenchymal Stem Cells Plus Calcipotriol Ointment"

EIGHT = (
    ("01-001", 20.0, 2.0, 85, 90.0),
    ("01-002", 15.0, 7.5, 84, 50.0),
    ("01-003", 12.0, 3.0, 86, 75.0),
    ("01-004", 30.0, 0.0, 85, 100.0),
    ("01-005", 18.0, 12.0, 88, 33.333333333333336),
    ("01-006", 10.0, 12.0, 82, -20.0),
    ("01-007", 24.0, None, None, None),
    ("01-008", 0.0, 0.0, 85, None),
)


def _per_subject(rows: tuple[tuple[str, float, float | None, int | None, float | None], ...]) -> list[dict[str, Any]]:
    return [
        {"subject": s, "baseline": b, "week12": w, "week12_study_day": d, "improvement_percent": i}
        for s, b, w, d, i in rows
    ]


def _responder(k: int, n: int, lo: float, hi: float) -> dict[str, Any]:
    return {"n": k, "of": n, "proportion": k / n if n else None, "ci95": [lo, hi] if n else [None, None]}


def endpoints_eight() -> dict[str, Any]:
    """The n = 8 study's endpoints.json (statistics chosen so that display rounding is exercised)."""
    return {
        "protocol": PROTOCOL,
        "data_sha256": DATA_HASH,
        "missing_data_rule": "observed",
        "primary": {
            "n": 6,
            "n_missing": 2,
            "per_subject": _per_subject(EIGHT),
            "improvement_percent": {
                "mean": 54.72222222222222,
                "sd": 45.25,  # a binary tie: half away from zero shows 45.3 (Python's own rounding shows 45.2)
                "ci95": [7.236111, 102.2083],
                "median": 62.5,
                "min": -20.0,
                "max": 100.0,
            },
        },
        "responders": {
            "pasi50": _responder(4, 6, 0.2227799, 0.9567281),
            "pasi75": _responder(3, 6, 0.1181185, 0.8818815),
            "pasi90": _responder(2, 6, 0.04327187, 0.7772201),
            "pasi100": _responder(1, 6, 0.004210745, 0.6412346),
        },
        "change_from_baseline": {"mean": -8.25, "wilcoxon_p": 0.0625, "hodges_lehmann": -7.75},
    }


def pasi_eight() -> pl.DataFrame:
    """PASI assessments of the n = 8 study: screening, baseline (day 1), week 4, week 12 (or day 92 for 01-007)."""
    rows: list[dict[str, Any]] = []
    for subject, baseline, week12, day, _ in EIGHT:
        rows.append({"subject": subject, "study_day": -10, "pasi": baseline + 1.0, "analysis_visit": None})
        rows.append({"subject": subject, "study_day": 1, "pasi": baseline, "analysis_visit": "baseline"})
        rows.append({"subject": subject, "study_day": 29, "pasi": baseline * 0.8, "analysis_visit": None})
        if week12 is not None:
            rows.append({"subject": subject, "study_day": day, "pasi": week12, "analysis_visit": "week12"})
        else:
            rows.append({"subject": subject, "study_day": 92, "pasi": 6.0, "analysis_visit": None})
    return pl.DataFrame(
        rows, schema={"subject": pl.String, "study_day": pl.Int64, "pasi": pl.Float64, "analysis_visit": pl.String}
    )


def labs_eight() -> pl.DataFrame:
    """ALT and calcium for the eight subjects at days −7, 29, 57 and 85; a few graded values."""
    rows: list[dict[str, Any]] = []
    for index, (subject, *_rest) in enumerate(EIGHT):
        for day in (-7, 29, 57, 85):
            alt = 20.0 + index * 3 + day / 10
            rows.append(
                {
                    "subject": subject,
                    "test": "ALT",
                    "unit": "U/L",
                    "study_day": day,
                    "value": alt,
                    "lln": 7.0,
                    "uln": 40.0,
                    "grade": 1 if alt > 40 else 0,
                }
            )
            rows.append(
                {
                    "subject": subject,
                    "test": "Calcium",
                    "unit": "mmol/L",
                    "study_day": day,
                    "value": 2.3 + index * 0.02,
                    "lln": 2.1,
                    "uln": 2.6,
                    "grade": None,
                }
            )
    return pl.DataFrame(rows)


SECTIONS = (
    Section(
        "populations",
        "Analysis populations",
        ("Each population is defined in the protocol file.",),
        (Table("Populations", ("Population", "Subjects"), (("Enrolled", 8), ("Full analysis set", 8))),),
    ),
    Section(
        "disposition",
        "Disposition",
        (),
        (Table("Disposition", ("Status", "Subjects"), (("Completed", 7), ("Withdrawn: consent", 1))),),
    ),
    Section("secondary", "Secondary endpoints", ("DLQI and itch are summarised per visit.",), ()),
    Section(
        "safety",
        "Safety",
        ("Adverse events by term & grade <as reported>.",),
        (Table("Adverse events by term", ("Term", "Grade 1", "Grade 2"), (("Headache", 2, 0), ("Fever", 1, None))),),
    ),
)

METHODS = (
    "Baseline is the last assessment on or before the first treatment date.",
    "Week 12 is the assessment in study days 82–88 closest to day 85, ties to the earlier.",
)


def report_eight(*, sections: bool = True, labs: bool = True, data_cut: bool = True) -> ReportInput:
    """The n = 8 report, optionally without sections, labs or data cut."""
    return ReportInput(
        protocol_id=PROTOCOL,
        protocol_version="1.2",
        protocol_title=TITLE,
        source="sqlite:///study.db" if data_cut else "pasi.csv",
        endpoints=endpoints_eight(),
        pasi=pasi_eight(),
        software_version="0.1.0",
        sections=SECTIONS if sections else (),
        labs=labs_eight() if labs else None,
        data_cut=DataCutInfo("cut-2020-03", dt.datetime(2020, 3, 20, 8, 0, tzinfo=dt.UTC), SNAPSHOT_HASH)
        if data_cut
        else None,
        methods=METHODS,
    )


def report_one() -> ReportInput:
    """One subject: baseline 12.5, week 12 (day 85) 3.1, improvement 75.2 %."""
    endpoints = {
        "protocol": PROTOCOL,
        "data_sha256": DATA_HASH,
        "missing_data_rule": "observed",
        "primary": {
            "n": 1,
            "n_missing": 0,
            "per_subject": _per_subject((("01-001", 12.5, 3.1, 85, 75.2),)),
            "improvement_percent": {
                "mean": 75.2,
                "sd": None,
                "ci95": [None, None],
                "median": 75.2,
                "min": 75.2,
                "max": 75.2,
            },
        },
        "responders": {
            "pasi50": _responder(1, 1, 0.025, 1.0),
            "pasi75": _responder(1, 1, 0.025, 1.0),
            "pasi90": _responder(0, 1, 0.0, 0.975),
            "pasi100": _responder(0, 1, 0.0, 0.975),
        },
        "change_from_baseline": {"mean": -9.4, "wilcoxon_p": 1.0, "hodges_lehmann": -9.4},
    }
    pasi = pl.DataFrame(
        {
            "subject": ["01-001", "01-001"],
            "study_day": [1, 85],
            "pasi": [12.5, 3.1],
            "analysis_visit": ["baseline", "week12"],
        }
    )
    return ReportInput(PROTOCOL, "1.2", TITLE, "one.csv", endpoints, pasi, "0.1.0", methods=METHODS)


def report_zero(*, labs: bool = False) -> ReportInput:
    """No subject at all: every statistic null, no PASI rows (and an empty lab table when asked)."""
    endpoints = {
        "protocol": PROTOCOL,
        "data_sha256": DATA_HASH,
        "missing_data_rule": "observed",
        "primary": {
            "n": 0,
            "n_missing": 0,
            "per_subject": [],
            "improvement_percent": {
                "mean": None,
                "sd": None,
                "ci95": [None, None],
                "median": None,
                "min": None,
                "max": None,
            },
        },
        "responders": {key: _responder(0, 0, 0, 0) for key in ("pasi50", "pasi75", "pasi90", "pasi100")},
        "change_from_baseline": {"mean": None, "wilcoxon_p": None, "hodges_lehmann": None},
    }
    pasi = pl.DataFrame(
        schema={"subject": pl.String, "study_day": pl.Int64, "pasi": pl.Float64, "analysis_visit": pl.String}
    )
    lab_frame = (
        pl.DataFrame(
            schema={
                "subject": pl.String,
                "test": pl.String,
                "unit": pl.String,
                "study_day": pl.Int64,
                "value": pl.Float64,
                "lln": pl.Float64,
                "uln": pl.Float64,
                "grade": pl.Int64,
            }
        )
        if labs
        else None
    )
    return ReportInput(PROTOCOL, "1.2", TITLE, "empty.csv", endpoints, pasi, "0.1.0", labs=lab_frame)


def report_many(subjects: int) -> ReportInput:
    """A large study: baseline 10.0 + (i mod 50) / 10, week 12 at day 85 = baseline × (i mod 11) / 10, except every
    tenth subject, whose only later assessment is on day 95; labs for ALT on days 1 and 85."""
    per: list[dict[str, Any]] = []
    pasi_rows: dict[str, list[Any]] = {"subject": [], "study_day": [], "pasi": [], "analysis_visit": []}
    labs: dict[str, list[Any]] = {
        k: [] for k in ("subject", "test", "unit", "study_day", "value", "lln", "uln", "grade")
    }
    for i in range(subjects):
        subject = f"S{i:06d}"
        baseline = round(10.0 + (i % 50) / 10, 1)
        week12 = round(baseline * (i % 11) / 10, 1)
        missing = i % 10 == 9
        improvement = None if missing else (baseline - week12) / baseline * 100
        per.append(
            {
                "subject": subject,
                "baseline": baseline,
                "week12": None if missing else week12,
                "week12_study_day": None if missing else 85,
                "improvement_percent": improvement,
            }
        )
        for day, value, visit in (
            (1, baseline, "baseline"),
            (95 if missing else 85, week12, None if missing else "week12"),
        ):
            pasi_rows["subject"].append(subject)
            pasi_rows["study_day"].append(day)
            pasi_rows["pasi"].append(value)
            pasi_rows["analysis_visit"].append(visit)
        for day in (1, 85):
            labs["subject"].append(subject)
            labs["test"].append("ALT")
            labs["unit"].append("U/L")
            labs["study_day"].append(day)
            labs["value"].append(20.0 + (i % 30))
            labs["lln"].append(7.0)
            labs["uln"].append(40.0)
            labs["grade"].append(1 if 20 + (i % 30) > 40 else 0)
    endpoints = endpoints_eight()
    endpoints["primary"] = {
        **endpoints["primary"],
        "per_subject": per,
        "n": subjects - subjects // 10,
        "n_missing": subjects // 10,
    }
    return ReportInput(
        PROTOCOL, "1.2", TITLE, "many.csv", endpoints, pl.DataFrame(pasi_rows), "0.1.0", labs=pl.DataFrame(labs)
    )
