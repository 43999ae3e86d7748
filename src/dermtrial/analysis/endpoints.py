"""The PASI endpoints of a study: per-subject improvement, its summary, responder rates and change from baseline.

``analyse_pasi`` takes the analysis input frame (one row per subject and PASI assessment, from the CSV of
``dermtrial analyze`` or built from the study database) and the protocol, and returns the content of endpoints.json,
the PASI rows the report plots and the methods paragraphs. The population is the set of subjects in the frame: to
analyse a population, pass only its subjects. Every rule is stated in docs/analysis.md.

Per subject, with B the baseline PASI and W the week-12 PASI in whole tenths::

    improvement % = 100 × (B − W) / B        (not computable when B = 0; negative when worse; at most 100)
    change        = (W − B) / 10 PASI points (negative = better)
    PASIxx        ⇔ 100 × (B − W) ≥ xx × B   (exact, instruments.pasi_response.is_responder)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import polars as pl

from dermtrial.analysis.input import check_assessment_frame
from dermtrial.analysis.methods import methods_paragraphs
from dermtrial.analysis.missing import MissingRule, apply_missing_rule, check_rule, statement
from dermtrial.analysis.output import data_sha256, round_float
from dermtrial.analysis.stats import (
    clopper_pearson,
    hodges_lehmann,
    summarize,
    wilcoxon_signed_rank,
)
from dermtrial.analysis.timepoints import AnalysisWindow, select_timepoints, study_day_expr, window_for
from dermtrial.instruments.pasi_response import BASELINE_ZERO, RESPONSE_THRESHOLDS, is_responder
from dermtrial.protocol.model import Protocol

FORMAT = "dermtrial-endpoints-1"
"""Value of the ``format`` key of endpoints.json; changes when a key changes meaning."""
NEVER_TREATED = "never treated: no first treatment date, so no study day"
NO_BASELINE = "no baseline: no PASI on or before the first treatment date"
EXPLORATORY = "exploratory: no hypothesis test was registered, so this p-value is descriptive only"


@dataclass(frozen=True)
class PasiAnalysis:
    """The result of :func:`analyse_pasi`."""

    endpoints: dict[str, Any]
    """The content of endpoints.json (JSON-ready; see docs/analysis.md for every key)."""
    pasi: pl.DataFrame
    """One row per dated PASI assessment: ``subject``, ``study_day`` (Int64, null when never treated), ``pasi``
    (Float64) and ``analysis_visit`` (``baseline``, ``week12`` or null), sorted by subject and study day."""
    methods: tuple[str, ...]
    """Paragraphs stating each rule the analysis applied, for the report's methods section."""


def _no_week12(window: AnalysisWindow, rule: MissingRule) -> str:
    text = f"no {window.visit_id} PASI in the window (study days {window.first_study_day}–{window.last_study_day})"
    if rule == "locf":
        text += " and none after the first treatment date to carry forward"
    return text


def _reason(treated: bool, baseline: int | None, followup: int | None, no_week12: str) -> str | None:
    """Why a subject's improvement is not computable, or None when it is."""
    if not treated:
        return NEVER_TREATED
    reasons = []
    if baseline is None:
        reasons.append(NO_BASELINE)
    elif baseline == 0:
        reasons.append(BASELINE_ZERO)
    if followup is None:
        reasons.append(no_week12)
    return "; ".join(reasons) or None


def _tenths(value: int | None) -> float | None:
    return None if value is None else value / 10


def _per_subject(chosen: pl.DataFrame, window: AnalysisWindow, rule: MissingRule) -> list[dict[str, Any]]:
    """One object per subject (sorted by subject). ``_improvement`` (the exact improvement, correctly rounded to a
    float: Python divides integers with one rounding) and ``_change_tenths`` are internal and dropped from the JSON."""
    no_week12 = _no_week12(window, rule)
    missing_flags = {f"pasi{t}": False if rule == "nri" else None for t in RESPONSE_THRESHOLDS}
    columns = chosen.select(
        "subject",
        pl.col("first_treatment_date").dt.strftime("%Y-%m-%d"),
        "baseline_tenths",
        "baseline_study_day",
        "followup_tenths",
        "followup_study_day",
        "imputed",
    ).get_columns()
    out = []
    for subject, first, baseline, baseline_day, followup, followup_day, imputed in zip(
        *(c.to_list() for c in columns), strict=True
    ):
        reason = _reason(first is not None, baseline, followup, no_week12)
        if reason is None:
            improvement: float | None = 100 * (baseline - followup) / baseline
            flags: dict[str, bool | None] = {
                f"pasi{t}": is_responder(baseline, followup, t) for t in RESPONSE_THRESHOLDS
            }
        else:
            improvement, flags = None, dict(missing_flags)
            if rule == "nri":
                imputed = "nri"
        change = None if baseline is None or followup is None else followup - baseline
        out.append(
            {
                "subject": subject,
                "first_treatment_date": first,
                "baseline": _tenths(baseline),
                "baseline_study_day": baseline_day,
                "week12": _tenths(followup),
                "week12_study_day": followup_day,
                "change": _tenths(change),
                "improvement_percent": round_float(improvement),
                "responders": flags,
                "imputed": imputed,
                "not_evaluable": reason,
                "_improvement": improvement,
                "_change_tenths": change,
            }
        )
    return out


def _summary_json(values: list[float]) -> dict[str, Any]:
    summary = summarize(values)
    return {
        "mean": round_float(summary.mean),
        "sd": round_float(summary.sd),
        "ci95": None if summary.ci95 is None else [round_float(summary.ci95[0]), round_float(summary.ci95[1])],
        "median": round_float(summary.median),
        "min": round_float(summary.min),
        "max": round_float(summary.max),
        "not_computable": summary.not_computable,
    }


def _responders(subjects: list[dict[str, Any]], rule: MissingRule) -> dict[str, Any]:
    counted = subjects if rule == "nri" else [s for s in subjects if s["_improvement"] is not None]
    out: dict[str, Any] = {}
    for threshold in RESPONSE_THRESHOLDS:
        key = f"pasi{threshold}"
        k = sum(1 for s in counted if s["responders"][key])
        of = len(counted)
        interval = clopper_pearson(k, of)
        out[key] = {
            "threshold_percent": threshold,
            "n": k,
            "of": of,
            "proportion": None if of == 0 else round_float(k / of),
            "ci95": None if interval is None else [round_float(interval[0]), round_float(interval[1])],
            "not_computable": "no subject counted (of = 0)" if of == 0 else None,
        }
    return out


def _change(subjects: list[dict[str, Any]]) -> dict[str, Any]:
    differences = [s["_change_tenths"] for s in subjects if s["_change_tenths"] is not None]
    n = len(differences)
    test = wilcoxon_signed_rank(differences)
    estimate = hodges_lehmann(differences)
    return {
        "unit": "PASI points, week 12 minus baseline (negative = better)",
        "n": n,
        "mean": None if n == 0 else round_float(float(Fraction(sum(differences), 10 * n))),
        "hodges_lehmann": None if estimate is None else round_float(float(estimate / 10)),
        "wilcoxon_p": round_float(test.p_value),
        "wilcoxon_statistic": round_float(test.statistic),
        "wilcoxon_method": test.method,
        "wilcoxon_n_nonzero": test.n_nonzero,
        "not_computable": test.not_computable if n else "no subject has a baseline and a week-12 value (n = 0)",
        "exploratory": True,
        "label": EXPLORATORY,
    }


def _pasi_rows(assessments: pl.DataFrame, chosen: pl.DataFrame) -> pl.DataFrame:
    marks = pl.concat(
        [
            chosen.select("subject", pl.col("baseline_date").alias("assessment_date"), pl.lit("baseline").alias("v")),
            chosen.select("subject", pl.col("followup_date").alias("assessment_date"), pl.lit("week12").alias("v")),
        ]
    ).filter(pl.col("assessment_date").is_not_null())
    return (
        assessments.filter(pl.col("assessment_date").is_not_null())
        .join(marks, on=["subject", "assessment_date"], how="left")
        .select(
            "subject",
            study_day_expr(pl.col("first_treatment_date"), pl.col("assessment_date")).cast(pl.Int64).alias("study_day"),
            (pl.col("pasi_tenths") / 10).cast(pl.Float64).alias("pasi"),
            pl.col("v").alias("analysis_visit"),
            "assessment_date",
        )
        .sort("subject", "assessment_date")
        .drop("assessment_date")
    )


def analyse_pasi(
    assessments: pl.DataFrame,
    protocol: Protocol,
    *,
    missing_rule: str = "observed",
    population: str | None = None,
) -> PasiAnalysis:
    """PASI improvement, response and change from baseline at the protocol's primary timepoint.

    ``assessments`` has the columns ``subject``, ``first_treatment_date``, ``assessment_date`` and ``pasi_tenths``
    (see :mod:`dermtrial.analysis.input`); it is checked again here (AnalysisInputError). ``missing_rule`` is
    ``observed``, ``nri`` or ``locf`` (ValueError otherwise). ``population`` names the population the subjects form
    (recorded in endpoints.json; default: every subject in the input). The window and target come from the protocol
    endpoint ``pasi_improvement`` and its timepoint visit (NoTimepoint when the protocol lacks them).
    """
    rule = check_rule(missing_rule)
    window = window_for(protocol)
    frame = check_assessment_frame(assessments)
    chosen = apply_missing_rule(select_timepoints(frame, window), rule)
    subjects = _per_subject(chosen, window, rule)
    improvements = [s["_improvement"] for s in subjects if s["_improvement"] is not None]
    n_missing = len(subjects) - len(improvements)
    n_imputed = n_missing if rule == "nri" else sum(1 for s in subjects if s["imputed"] == "locf")
    endpoints: dict[str, Any] = {
        "format": FORMAT,
        "protocol": protocol.identity.registry_id,
        "protocol_version": protocol.version,
        "endpoint": window.endpoint_id,
        "data_sha256": data_sha256(frame),
        "population": {"label": population or "every subject in the input", "n": len(subjects)},
        "window": window.to_json(),
        "missing_data_rule": rule,
        "missing_data_statement": statement(rule, window),
        "n_imputed": n_imputed,
        "float_precision": "every non-integer number is rounded to 10 significant digits",
        "primary": {
            "n": len(improvements),
            "n_missing": n_missing,
            "per_subject": [{k: v for k, v in s.items() if not k.startswith("_")} for s in subjects],
            "improvement_percent": _summary_json(improvements),
        },
        "responders": _responders(subjects, rule),
        "change_from_baseline": _change(subjects),
    }
    return PasiAnalysis(
        endpoints=endpoints,
        pasi=_pasi_rows(frame, chosen),
        methods=methods_paragraphs(window, rule, protocol.identity.registry_id),
    )
