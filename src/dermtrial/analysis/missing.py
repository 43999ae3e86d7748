"""Missing-data rules for the week-12 PASI: observed cases, non-responder imputation, last observation carried forward.

- ``observed`` (observed cases; the primary analysis): a subject counts only with a baseline and an in-window week-12
  value. Improvement, change and responder rates are of those subjects.
- ``nri`` (non-responder imputation; for response rates): as ``observed`` for the improvement and the change, but every
  subject of the population without a computable improvement counts as a non-responder, so a rate's denominator is
  the whole population. The number imputed is the number of such subjects.
- ``locf`` (last observation carried forward; a sensitivity analysis): a subject with a baseline and no in-window
  week-12 value takes the last assessment after the first treatment date and no later than the window end (in
  practice before the window opens). A subject with no such assessment stays missing: the baseline is never carried
  forward. The number imputed is the number of carried values.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from dermtrial.analysis.timepoints import AnalysisWindow

MissingRule = Literal["observed", "nri", "locf"]
MISSING_RULES: tuple[MissingRule, ...] = ("observed", "nri", "locf")
"""The rule names of ``dermtrial analyze --missing`` and of ``missing_data_rule`` in endpoints.json."""
PROTOCOL_NAMES: dict[MissingRule, str] = {"observed": "observed_cases", "nri": "non_responder", "locf": "locf"}
"""The protocol file's name (``Endpoint.missing_data``) for each rule."""


def check_rule(rule: str) -> MissingRule:
    """``rule`` itself when it is one of :data:`MISSING_RULES`; ValueError naming the allowed ones otherwise."""
    if rule not in MISSING_RULES:
        raise ValueError(f'"{rule}" is not a missing-data rule: expected one of {", ".join(MISSING_RULES)}')
    return rule


def apply_missing_rule(timepoints: pl.DataFrame, rule: MissingRule) -> pl.DataFrame:
    """Add the follow-up used for the analysis to the frame of :func:`~dermtrial.analysis.timepoints.select_timepoints`.

    New columns: ``followup_tenths``, ``followup_study_day`` and ``followup_date`` (the week-12 value, or under
    ``locf`` the carried one) and ``imputed`` (``"locf"`` for a carried value, else null). ``nri`` changes no value
    here; it acts on the response flags.
    """
    carry = (
        pl.lit(rule == "locf")
        & pl.col("week12_tenths").is_null()
        & pl.col("baseline_tenths").is_not_null()
        & pl.col("last_tenths").is_not_null()
    )
    return timepoints.with_columns(
        followup_tenths=pl.when(carry).then(pl.col("last_tenths")).otherwise(pl.col("week12_tenths")),
        followup_study_day=pl.when(carry).then(pl.col("last_study_day")).otherwise(pl.col("week12_study_day")),
        followup_date=pl.when(carry).then(pl.col("last_date")).otherwise(pl.col("week12_date")),
        imputed=pl.when(carry).then(pl.lit("locf")).otherwise(pl.lit(None, dtype=pl.Utf8)),
    )


def statement(rule: MissingRule, window: AnalysisWindow) -> str:
    """The rule in words, for endpoints.json and the methods section."""
    days = f"study days {window.first_study_day}–{window.last_study_day}"
    if rule == "observed":
        return (
            f"Observed cases: only subjects with a baseline PASI above 0 and a {window.visit_id} PASI in the window "
            f"({days}) are analysed; no value is imputed. Subjects without one are counted as missing and listed."
        )
    if rule == "nri":
        return (
            "Non-responder imputation: for the response rates, every subject of the population without a computable "
            "improvement (no baseline, a baseline of 0, never treated, or no "
            f"{window.visit_id} PASI in {days}) counts as a non-responder, so each rate is of the whole population. "
            "The improvement and the change from baseline are summarised on observed cases."
        )
    return (
        f"Last observation carried forward: a subject with a baseline and no {window.visit_id} PASI in {days} takes "
        f"the last PASI after the first treatment date and no later than study day {window.last_study_day}. A "
        "subject with no PASI after the first treatment date stays missing (the baseline is never carried forward). "
        "Improvement, change and response rates include the carried values."
    )
