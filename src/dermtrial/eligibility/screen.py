"""Registry-scale pre-screening: a whole table of candidates evaluated vectorised with polars.

The steps mirror the per-candidate path, column-wise:

1. :func:`~dermtrial.eligibility.table.prepare_frame` types the table and checks it (bad input: no verdicts at all);
2. each protocol input becomes a column by its source kind (age from dates, washout days, lab values converted to the
   input's unit with the same factors as :mod:`~dermtrial.eligibility.labs`, reference ranges, scores, facts);
3. each criterion's compiled rule (the same :func:`~dermtrial.eligibility.evaluate.compile_criteria` tree the
   per-candidate path evaluates) gives its polars expression, three-valued; judgements read the decision column;
4. the verdict and the lists of failing and unknown criteria are derived per row.

The result has one row per candidate: ``row`` (0-based, as in the input), ``candidate``, ``verdict``,
``not_satisfied`` and ``unknown`` (criterion ids separated by spaces) and one column per criterion with its result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from dermtrial.eligibility.evaluate import CompiledCriterion, compile_criteria
from dermtrial.eligibility.inputs import INSTRUMENT_FIELDS
from dermtrial.eligibility.labs import ReferenceRange, calcium_correction, conversion
from dermtrial.eligibility.table import UNIT_INDEX, prepare_frame
from dermtrial.errors import InvalidInput
from dermtrial.protocol.eligibility import Input
from dermtrial.protocol.model import LabTest, Protocol

_INF = float("inf")
JUDGEMENT = "__judgement__"
MAX_BITS = 63
"""The failing and unknown criteria of a row are kept as the bits of one integer while screening."""


def _days(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later - earlier).dt.total_days().cast(pl.Float64)


def _age(at: str) -> pl.Expr:
    birth, on = pl.col("birth_date"), pl.col(f"{at}_date")
    before_birthday = (on.dt.month().cast(pl.Int32) * 100 + on.dt.day()) < (
        birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day()
    )
    return (on.dt.year().cast(pl.Int32) - birth.dt.year() - before_birthday.cast(pl.Int32)).cast(pl.Float64)


def _since(column: str, anchor: str) -> pl.Expr:
    """Days from a date-or-never column to the anchor date; never is infinity, an empty cell unknown."""
    return pl.when(pl.col(f"{column}.never")).then(_INF).otherwise(_days(pl.col(anchor), pl.col(column)))


def _washout(name: str, classes: Sequence[str]) -> list[pl.Expr]:
    """The washout days (unknown when a class is), and their upper bound from the classes known (``__at_most``)."""
    parts = [_since(f"last_use.{code}", "baseline_date") for code in classes]
    unknown = pl.any_horizontal(*(part.is_null() for part in parts))
    days = pl.min_horizontal(*parts)
    return [
        pl.when(unknown).then(None).otherwise(days).alias(name),
        pl.when(unknown).then(days).otherwise(None).alias(f"{name}__at_most"),
    ]


def _factor(test: LabTest, unit_column: str, spellings: Sequence[str], target: str) -> pl.Expr:
    """The factor from each row's unit to ``target``, chosen by the unit's position among the spellings found."""
    factor: Any = pl
    index = pl.col(f"{unit_column}{UNIT_INDEX}")
    for position, unit in enumerate(spellings):
        factor = factor.when(index == position).then(float(conversion(test, unit, target).factor))
    return pl.lit(None, dtype=pl.Float64) if factor is pl else factor.otherwise(None)


class _Columns:
    def __init__(
        self, protocol: Protocol, units: Mapping[str, list[str]], ranges: Mapping[str, ReferenceRange]
    ) -> None:
        self.protocol = protocol
        self.units = units
        self.ranges = ranges
        self.tests = {test.code: test for test in protocol.safety.lab_tests}
        self.factors: dict[str, pl.Expr] = {}
        """Factor columns the inputs use, by name: added to the table before the inputs are derived."""

    def factor(self, code: str, target: str) -> pl.Expr:
        """The column of conversion factors of a lab's rows to ``target``, computed once (see :attr:`factors`)."""
        name = f"__factor__{code}__{target}"
        if name not in self.factors:
            self.factors[name] = _factor(self.tests[code], f"labs.{code}.unit", self.units.get(code, []), target)
        return pl.col(name)

    def lab_value(self, code: str, target: str) -> pl.Expr:
        return pl.col(f"labs.{code}.value") * self.factor(code, target)

    def lab(self, spec: Input, code: str) -> list[pl.Expr]:
        test = self.tests[code]
        target = spec.unit or test.si_unit
        factor = self.factor(code, target)
        value = pl.col(f"labs.{code}.value") * factor
        lln, uln = pl.col(f"labs.{code}.lln"), pl.col(f"labs.{code}.uln")
        has_range = lln.is_not_null() | uln.is_not_null()
        site = self.ranges.get(code)
        bounds: dict[str, pl.Expr] = {}
        for name, column in (("lln", lln), ("uln", uln)):
            fallback: float | None = None
            if site is not None and getattr(site, name) is not None:
                fallback = float(getattr(site, name) * conversion(test, site.unit, target).factor)
            bounds[name] = pl.when(has_range).then(column * factor).otherwise(pl.lit(fallback, dtype=pl.Float64))
        if code == "CA" and self.protocol.settings.eligibility_calcium == "albumin_corrected":
            formula = calcium_correction(self.protocol.settings.calcium_correction)
            to_formula = float(conversion(test, target, formula.calcium_unit).factor)
            albumin = (
                self.lab_value("ALB", formula.albumin_unit) if "ALB" in self.tests else pl.lit(None, dtype=pl.Float64)
            )
            corrected = value * to_formula + float(formula.coefficient) * (float(formula.reference_albumin) - albumin)
            value = corrected / to_formula
        return [
            value.alias(spec.name),
            bounds["lln"].alias(f"{spec.name}__lln"),
            bounds["uln"].alias(f"{spec.name}__uln"),
        ]

    def input(self, spec: Input) -> list[pl.Expr]:
        source = spec.source
        if source.age_at is not None:
            return [_age(source.age_at).alias(spec.name)]
        if source.days_since_last_use is not None:
            return _washout(spec.name, source.days_since_last_use)
        if source.days_since_other_trial:
            return [_since("other_trial_end_date", "consent_date").alias(spec.name)]
        if source.lab is not None:
            return self.lab(spec, source.lab)
        if source.instrument is not None:
            field = INSTRUMENT_FIELDS.get(source.instrument, (source.instrument, None))[0]
            return [pl.col(f"assessments.{field}").alias(spec.name)]
        return [pl.col(f"facts.{spec.name}").alias(spec.name)]


RESULT = pl.Enum(["satisfied", "not_satisfied", "unknown"])
VERDICT = pl.Enum(["eligible", "ineligible", "incomplete"])


def _passes(criterion: CompiledCriterion) -> pl.Expr:
    """True when the criterion is satisfied, false when not, null when unknown (Boolean, three-valued)."""
    if criterion.rule is None:
        return (pl.col(f"{JUDGEMENT}{criterion.id}") == "satisfied").alias(criterion.id)
    holds = criterion.rule.expression()
    return (holds if criterion.type == "inclusion" else holds.not_()).alias(criterion.id)


def _result(criterion_id: str) -> pl.Expr:
    passes = pl.col(criterion_id)
    return (
        pl.when(passes)
        .then(pl.lit("satisfied", dtype=RESULT))
        .when(passes.not_())
        .then(pl.lit("not_satisfied", dtype=RESULT))
        .otherwise(pl.lit("unknown", dtype=RESULT))
        .alias(criterion_id)
    )


def _bits(ids: Sequence[str], result: str) -> pl.Expr:
    """Which criteria have this result, as the bits of one integer (criterion i is bit i)."""
    flags = [pl.col(i).not_().fill_null(False) if result == "not_satisfied" else pl.col(i).is_null() for i in ids]
    dtype = pl.UInt32 if len(ids) <= 32 else pl.UInt64
    return pl.sum_horizontal(*(flag.cast(dtype) * (1 << bit) for bit, flag in enumerate(flags))).cast(dtype)


def _listed(results: pl.DataFrame, ids: Sequence[str], column: str) -> pl.Series:
    """Criterion ids separated by spaces, one string per distinct bit pattern (few), mapped back to the rows."""
    patterns = results[column].unique().to_list()
    names = {p: " ".join(i for bit, i in enumerate(ids) if p >> bit & 1) for p in patterns}
    return results[column].replace_strict(names, return_dtype=pl.String)


def screen_frame(
    protocol: Protocol,
    frame: pl.DataFrame,
    *,
    reference_ranges: Mapping[str, ReferenceRange] | None = None,
    criteria: Sequence[CompiledCriterion] | None = None,
    first_row: int = 0,
) -> pl.DataFrame:
    """Screen a table of candidates (see the module docstring); raises InvalidInput naming row and column."""
    prepared = prepare_frame(protocol, frame)
    criteria = criteria or compile_criteria(protocol)
    columns = _Columns(protocol, prepared.units, reference_ranges or {})
    judgements = [pl.col(f"judgements.{c.id}.decision").alias(f"{JUDGEMENT}{c.id}") for c in criteria if c.rule is None]
    ids = [c.id for c in criteria]
    if len(ids) > MAX_BITS:
        raise ValueError(f"screening handles at most {MAX_BITS} criteria; this protocol has {len(ids)}")
    typed = prepared.typed.collect()
    inputs = [expr for spec in protocol.eligibility.inputs for expr in columns.input(spec)]
    results_query = (
        typed.lazy()
        .with_columns(factor.alias(name) for name, factor in columns.factors.items())
        .select(
            (pl.int_range(pl.len(), dtype=pl.Int64) + first_row).alias("row"),
            pl.col("candidate"),
            *inputs,
            *judgements,
        )
        .select("row", "candidate", *(_passes(c) for c in criteria))
        .select(
            "row",
            "candidate",
            *(_result(i) for i in ids),
            _bits(ids, "not_satisfied").alias("__not_satisfied"),
            _bits(ids, "unknown").alias("__unknown"),
        )
    )
    counts, results = pl.collect_all([prepared.counts(typed.lazy()), results_query])
    count_row = counts.row(0) if counts.width else ()
    if prepared.problems or any(count_row):
        raise InvalidInput(prepared.report(frame, count_row, first_row))
    verdict = (
        pl.when(pl.col("__not_satisfied") > 0)
        .then(pl.lit("ineligible", dtype=VERDICT))
        .when(pl.col("__unknown") > 0)
        .then(pl.lit("incomplete", dtype=VERDICT))
        .otherwise(pl.lit("eligible", dtype=VERDICT))
    )
    return results.select(
        "row",
        "candidate",
        verdict.alias("verdict"),
        _listed(results, ids, "__not_satisfied").alias("not_satisfied"),
        _listed(results, ids, "__unknown").alias("unknown"),
        *ids,
    )
