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

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from itertools import repeat
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


def _reason_expr(no_week12: str) -> pl.Expr:
    """Why a subject's improvement is not computable (null when it is): never treated; else no baseline or a
    baseline of 0, and no follow-up value, joined by "; "."""
    baseline = pl.col("baseline_tenths")
    parts = pl.concat_str(
        pl.when(baseline.is_null()).then(pl.lit(NO_BASELINE)).when(baseline == 0).then(pl.lit(BASELINE_ZERO)),
        pl.when(pl.col("followup_tenths").is_null()).then(pl.lit(no_week12)),
        separator="; ",
        ignore_nulls=True,
    )
    return (
        pl.when(pl.col("first_treatment_date").is_null())
        .then(pl.lit(NEVER_TREATED))
        .when(parts != "")
        .then(parts)
        .otherwise(pl.lit(None, dtype=pl.Utf8))
    )


@dataclass(frozen=True)
class _Subjects:
    """The per-subject results: the JSON objects (sorted by subject) and, beside them, the exact values the
    statistics use: the improvement correctly rounded to a float (Python divides integers with one rounding; so does
    polars on the same integers as floats) and the change in tenths, each None when not computable."""

    objects: list[dict[str, Any]]
    improvements: list[float | None]
    changes_tenths: list[int | None]
    flags: dict[int, list[bool | None]]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the per-subject objects are built: they hold no reference cycles,
    and with 50,000 subjects the collector would otherwise scan the growing heap again and again (a third of the
    time). It is switched back on afterwards only if it was on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _tenths(values: list[int | None]) -> list[float | None]:
    """Whole tenths as PASI floats, divided in Python (one correctly rounded division: 393 → 39.3; polars divides
    by multiplying by 0.1 and would write 39.300000000000004)."""
    return [None if value is None else value / 10 for value in values]


def _per_subject(chosen: pl.DataFrame, window: AnalysisWindow, rule: MissingRule) -> _Subjects:
    """One object per subject (``chosen`` is sorted by subject), built from columns."""
    baseline, followup = pl.col("baseline_tenths"), pl.col("followup_tenths")
    frame = chosen.with_columns(reason=_reason_expr(_no_week12(window, rule))).select(
        "subject",
        pl.col("first_treatment_date").dt.strftime("%Y-%m-%d"),
        baseline,
        "baseline_study_day",
        followup,
        "followup_study_day",
        (followup - baseline).alias("change_tenths"),
        pl.when(pl.col("reason").is_not_null() & pl.lit(rule == "nri"))
        .then(pl.lit("nri"))
        .otherwise(pl.col("imputed"))
        .alias("imputed"),
        "reason",
    )
    column = {name: frame[name].to_list() for name in frame.columns}
    baselines, followups = column["baseline_tenths"], column["followup_tenths"]
    # Python divides the exact integers with one correct rounding, as before and as the tests pin
    improvements: list[float | None] = [
        None if reason is not None else 100 * (b - f) / b
        for b, f, reason in zip(baselines, followups, column["reason"], strict=True)
    ]
    evaluable = [i for i, value in enumerate(improvements) if value is not None]
    missing_flag = False if rule == "nri" else None
    flags: dict[int, list[bool | None]] = {}
    for threshold in RESPONSE_THRESHOLDS:
        decided = map(is_responder, [baselines[i] for i in evaluable], [followups[i] for i in evaluable],
                      repeat(threshold))  # fmt: skip
        flags[threshold] = [missing_flag] * len(improvements)
        for i, flag in zip(evaluable, decided, strict=True):
            flags[threshold][i] = flag
    names = [f"pasi{t}" for t in RESPONSE_THRESHOLDS]
    responders = [dict(zip(names, row, strict=True)) for row in zip(*flags.values(), strict=True)]
    objects = [
        {
            "subject": subject,
            "first_treatment_date": first,
            "baseline": baseline_value,
            "baseline_study_day": baseline_day,
            "week12": week12,
            "week12_study_day": week12_day,
            "change": change,
            "improvement_percent": improvement,
            "responders": flags_of_subject,
            "imputed": imputed,
            "not_evaluable": reason,
        }
        for subject, first, baseline_value, baseline_day, week12, week12_day, change, improvement, flags_of_subject,
        imputed, reason in zip(
            column["subject"], column["first_treatment_date"], _tenths(baselines), column["baseline_study_day"],
            _tenths(followups), column["followup_study_day"], _tenths(column["change_tenths"]),
            map(round_float, improvements), responders, column["imputed"], column["reason"], strict=True,
        )
    ]  # fmt: skip
    return _Subjects(objects, improvements, column["change_tenths"], flags)


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


def _responders(subjects: _Subjects, rule: MissingRule) -> dict[str, Any]:
    counted = [True] * len(subjects.improvements) if rule == "nri" else [v is not None for v in subjects.improvements]
    of = sum(counted)
    out: dict[str, Any] = {}
    for threshold in RESPONSE_THRESHOLDS:
        k = sum(1 for flag, count in zip(subjects.flags[threshold], counted, strict=True) if count and flag)
        interval = clopper_pearson(k, of)
        out[f"pasi{threshold}"] = {
            "threshold_percent": threshold,
            "n": k,
            "of": of,
            "proportion": None if of == 0 else round_float(k / of),
            "ci95": None if interval is None else [round_float(interval[0]), round_float(interval[1])],
            "not_computable": "no subject counted (of = 0)" if of == 0 else None,
        }
    return out


def _change(changes_tenths: list[int | None]) -> dict[str, Any]:
    differences = [d for d in changes_tenths if d is not None]
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
    with _gc_paused():
        subjects = _per_subject(chosen, window, rule)
    improvements = [value for value in subjects.improvements if value is not None]
    n_missing = len(subjects.objects) - len(improvements)
    n_imputed = n_missing if rule == "nri" else sum(1 for s in subjects.objects if s["imputed"] == "locf")
    endpoints: dict[str, Any] = {
        "format": FORMAT,
        "protocol": protocol.identity.registry_id,
        "protocol_version": protocol.version,
        "endpoint": window.endpoint_id,
        "data_sha256": data_sha256(frame),
        "population": {"label": population or "every subject in the input", "n": len(subjects.objects)},
        "window": window.to_json(),
        "missing_data_rule": rule,
        "missing_data_statement": statement(rule, window),
        "n_imputed": n_imputed,
        "float_precision": "every non-integer number is rounded to 10 significant digits",
        "primary": {
            "n": len(improvements),
            "n_missing": n_missing,
            "per_subject": subjects.objects,
            "improvement_percent": _summary_json(improvements),
        },
        "responders": _responders(subjects, rule),
        "change_from_baseline": _change(subjects.changes_tenths),
    }
    return PasiAnalysis(
        endpoints=endpoints,
        pasi=_pasi_rows(frame, chosen),
        methods=methods_paragraphs(window, rule, protocol.identity.registry_id),
    )
