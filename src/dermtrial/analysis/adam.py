"""The analysis table (ADaM-like, one row per subject × parameter × assessment): study day, baseline, change,
percent improvement, analysis visit, window and population flags.

Rules, in words (each also stated in the report's methods):

- **Study day** (CDISC): ``date − first treatment date + 1`` on or after the first treatment date, ``date − first
  treatment date`` before it; there is no day 0. Null while the subject has no first treatment date.
- **Baseline**: the last assessment of the parameter on or before the first treatment date (two on the same date:
  the one entered last). Its row has ``analysis_visit = "baseline"``.
- **Analysis visits**: every protocol visit after day 1 has a window of study days around its target (target =
  ``offset_days + 1``, from ``target − before`` to ``target + after``; an endpoint's own window replaces the visit's
  for the endpoint's timepoint). A post-baseline assessment belongs to the visit whose window holds its study day;
  outside every window its ``window`` is ``out`` and it has no analysis visit. Of several assessments in one window
  the one closest to the target is the analysed one (``analysis_flag``), ties to the earlier (or the later, as the
  protocol's ``settings.visit_window_tie_break`` says).
- **Change** (post-baseline rows only) = value − baseline (negative = better for every parameter here).
  **Percent improvement** = (baseline − value) / baseline × 100 for PASI, BSA, DLQI, itch and the Zung indices;
  it is null with the reason when there is no baseline or the baseline is 0, and not defined for the sPGA (an
  ordinal category).

Values are carried as integers of millionths, so change and percent improvement are computed from exact integers
(one rounding, to double precision, for the percentage).

Five-row example (first treatment 2019-08-01, PASI)::

    date        study_day  value  analysis_visit  window     change  percent_improvement
    2019-07-20  -12        20.0   (none)          pre        null    null
    2019-08-01  1          21.9   baseline        baseline   null    null
    2019-08-15  15         15.0   week2           in         -6.9    31.5068…
    2019-10-24  85         5.4    week12          in         -16.5   75.3424…
    2019-11-05  97         6.0    (none)          out        -15.9   72.6027…
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from dermtrial.protocol.model import Protocol

PARAMETERS: Mapping[str, str] = {
    "pasi": "PASI",
    "bsa": "BSA (%)",
    "spga": "sPGA",
    "dlqi": "DLQI",
    "itch": "Itch",
    "zung-sas": "Zung SAS index",
    "zung-sds": "Zung SDS index",
}
"""Parameter code (the instrument) → label, in report order."""

PERCENT_IMPROVEMENT: frozenset[str] = frozenset({"pasi", "bsa", "dlqi", "itch", "zung-sas", "zung-sds"})
"""Parameters whose percent improvement is defined (not the ordinal sPGA)."""

ASSESSMENT_COLUMNS: Mapping[str, pl.DataType] = {
    "subject": pl.String(),
    "parameter": pl.String(),
    "visit": pl.String(),
    "assessment_date": pl.Date(),
    "value": pl.Float64(),
}
"""The columns :func:`derive_adam` reads from the assessments (``visit``: the nominal visit code)."""

_SCALE = 1_000_000


@dataclass(frozen=True)
class AnalysisWindow:
    """One analysis visit: its id, target study day and first and last study day of its window."""

    visit: str
    target: int
    low: int
    high: int


def analysis_windows(protocol: Protocol) -> list[AnalysisWindow]:
    """The analysis visits after day 1, with an endpoint's window replacing its timepoint visit's own."""
    override = {e.timepoint: e.window for e in protocol.endpoints if e.timepoint is not None and e.window is not None}
    out: list[AnalysisWindow] = []
    for visit in protocol.visits:
        if visit.offset_days <= 0:
            continue
        window = override.get(visit.id, visit.window)
        target = visit.study_day
        out.append(AnalysisWindow(visit.id, target, target - window.before, target + window.after))
    return out


def _study_day(date: str, first: str) -> pl.Expr:
    offset = (pl.col(date) - pl.col(first)).dt.total_days()
    return pl.when(offset >= 0).then(offset + 1).otherwise(offset)


def derive_adam(assessments: pl.DataFrame, first_treatment: pl.DataFrame, protocol: Protocol) -> pl.DataFrame:
    """The analysis table (see the module docstring).

    ``assessments`` has the columns of :data:`ASSESSMENT_COLUMNS` in entry order; ``first_treatment`` has
    ``subject`` and ``first_treatment_date`` (Date, null when untreated). Rows of a parameter not in
    :data:`PARAMETERS` are kept with their own code as label.
    """
    frame = assessments.select([pl.col(c).cast(t) for c, t in ASSESSMENT_COLUMNS.items()]).with_row_index("_order")
    first = first_treatment.select(pl.col("subject"), pl.col("first_treatment_date").cast(pl.Date))
    frame = frame.join(first, on="subject", how="left").with_columns(
        _study_day("assessment_date", "first_treatment_date").alias("study_day"),
        (pl.col("value") * _SCALE).round(0).cast(pl.Int64).alias("_units"),
        pl.col("parameter").replace_strict(dict(PARAMETERS), default=pl.col("parameter")).alias("parameter_label"),
    )
    frame = _baseline(frame)
    frame = _windows(frame, analysis_windows(protocol), protocol.settings.visit_window_tie_break)
    base = frame.filter(pl.col("baseline_flag")).select(
        "subject", "parameter", pl.col("value").alias("baseline"), pl.col("_units").alias("_base")
    )
    frame = frame.join(base, on=["subject", "parameter"], how="left").with_columns(
        pl.when(pl.col("window").is_in(["in", "out"])).then(pl.col("_base")).otherwise(None).alias("_base")
    )
    defined = pl.col("parameter").is_in(list(PERCENT_IMPROVEMENT))
    frame = frame.with_columns(
        ((pl.col("_units") - pl.col("_base")) / _SCALE).alias("change"),
        pl.when(defined & pl.col("_base").is_not_null() & (pl.col("_base") != 0))
        .then((pl.col("_base") - pl.col("_units")) * 100 / pl.col("_base"))
        .otherwise(None)
        .alias("percent_improvement"),
        pl.when(~pl.col("window").is_in(["in", "out"]))
        .then(pl.lit("not after the first treatment"))
        .when(~defined)
        .then(pl.lit("not defined for an ordinal category"))
        .when(pl.col("_base").is_null())
        .then(pl.lit("no baseline"))
        .when(pl.col("_base") == 0)
        .then(pl.lit("baseline is 0"))
        .otherwise(None)
        .alias("percent_improvement_reason"),
    )
    return frame.sort("subject", "parameter", "assessment_date", "_order").select(
        "subject",
        "parameter",
        "parameter_label",
        "visit",
        "assessment_date",
        "first_treatment_date",
        "study_day",
        "value",
        "baseline_flag",
        "baseline",
        "change",
        "percent_improvement",
        "percent_improvement_reason",
        "analysis_visit",
        "target_day",
        "window",
        "analysis_flag",
    )


def _baseline(frame: pl.DataFrame) -> pl.DataFrame:
    first = pl.col("first_treatment_date")
    before = first.is_not_null() & (pl.col("assessment_date") <= first)
    chosen = (
        frame.filter(before)
        .sort("assessment_date", "_order")
        .group_by("subject", "parameter", maintain_order=True)
        .agg(pl.col("_order").last().alias("_baseline_order"))
    )
    return frame.join(chosen, on=["subject", "parameter"], how="left").with_columns(
        (pl.col("_order") == pl.col("_baseline_order")).fill_null(False).alias("baseline_flag"),
        before.alias("_before"),
    )


def _windows(frame: pl.DataFrame, windows: list[AnalysisWindow], tie_break: str) -> pl.DataFrame:
    table = pl.DataFrame(
        {
            "analysis_visit": [w.visit for w in windows],
            "target_day": [w.target for w in windows],
            "_low": [w.low for w in windows],
            "_high": [w.high for w in windows],
        },
        schema={"analysis_visit": pl.String, "target_day": pl.Int64, "_low": pl.Int64, "_high": pl.Int64},
    )
    after = frame.filter(pl.col("first_treatment_date").is_not_null() & ~pl.col("_before"))
    placed = (
        after.select("_order", "study_day")
        .join(table, how="cross")
        .filter((pl.col("study_day") >= pl.col("_low")) & (pl.col("study_day") <= pl.col("_high")))
        .with_columns((pl.col("study_day") - pl.col("target_day")).abs().alias("_distance"))
        .sort("_order", "_distance", "target_day")
        .group_by("_order", maintain_order=True)
        .first()
        .select("_order", "analysis_visit", "target_day", "_distance")
    )
    frame = frame.join(placed, on="_order", how="left")
    signed = pl.col("study_day") if tie_break == "earlier" else -pl.col("study_day")
    ranked = (
        frame.filter(pl.col("analysis_visit").is_not_null())
        .sort("_distance", signed, "_order")
        .group_by("subject", "parameter", "analysis_visit", maintain_order=True)
        .agg(pl.col("_order").first().alias("_chosen"))
    )
    frame = frame.join(ranked, on=["subject", "parameter", "analysis_visit"], how="left")
    return frame.with_columns(
        pl.when(pl.col("baseline_flag"))
        .then(pl.lit("baseline"))
        .otherwise(pl.col("analysis_visit"))
        .alias("analysis_visit"),
        pl.when(pl.col("first_treatment_date").is_null())
        .then(pl.lit("no first treatment"))
        .when(pl.col("baseline_flag"))
        .then(pl.lit("baseline"))
        .when(pl.col("_before"))
        .then(pl.lit("pre"))
        .when(pl.col("_chosen").is_not_null())
        .then(pl.lit("in"))
        .otherwise(pl.lit("out"))
        .alias("window"),
        (pl.col("baseline_flag") | (pl.col("_order") == pl.col("_chosen")).fill_null(False)).alias("analysis_flag"),
    )


def add_population_flags(adam: pl.DataFrame, subjects: pl.DataFrame) -> pl.DataFrame:
    """The analysis table with every ``in_<population>`` column of the subject-level table joined on."""
    flags = [c for c in subjects.columns if c.startswith("in_")]
    joined = adam.join(subjects.select("subject", *flags), on="subject", how="left")
    return joined.with_columns(pl.col(c).fill_null(False) for c in flags)


def primary_in_window(adam: pl.DataFrame, protocol: Protocol) -> pl.DataFrame:
    """Per subject (``subject``, ``primary_in_window``): whether the primary endpoint's analysed value lies in its
    window (false for a subject without one; all false when the protocol has no primary timepoint)."""
    endpoint = protocol.primary_endpoint()
    subjects = adam.select("subject").unique()
    if endpoint is None or endpoint.timepoint is None or endpoint.instrument is None:
        return subjects.with_columns(pl.lit(False).alias("primary_in_window"))
    hit = (
        adam.filter(
            (pl.col("parameter") == endpoint.instrument)
            & (pl.col("analysis_visit") == endpoint.timepoint)
            & pl.col("analysis_flag")
        )
        .select("subject")
        .unique()
        .with_columns(pl.lit(True).alias("primary_in_window"))
    )
    return subjects.join(hit, on="subject", how="left").with_columns(pl.col("primary_in_window").fill_null(False))
