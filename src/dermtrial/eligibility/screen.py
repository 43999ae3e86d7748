"""Registry-scale pre-screening: a whole table of candidates evaluated vectorised with polars.

The steps mirror the per-candidate path, column-wise:

1. :func:`~dermtrial.eligibility.table.read_frame` checks and types the table (bad input: no verdicts at all);
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

import polars as pl

from dermtrial.eligibility.evaluate import CompiledCriterion, compile_criteria
from dermtrial.eligibility.inputs import INSTRUMENT_FIELDS
from dermtrial.eligibility.labs import ReferenceRange, calcium_correction, conversion
from dermtrial.eligibility.table import read_frame
from dermtrial.errors import InvalidInput
from dermtrial.protocol.eligibility import Input
from dermtrial.protocol.model import LabTest, Protocol

_INF = float("inf")
JUDGEMENT = "__judgement__"


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


def _washout(classes: Sequence[str]) -> pl.Expr:
    parts = [_since(f"last_use.{code}", "baseline_date") for code in classes]
    unknown = pl.any_horizontal(*(part.is_null() for part in parts))
    return pl.when(unknown).then(None).otherwise(pl.min_horizontal(*parts))


def _factor(test: LabTest, unit_column: str, spellings: Sequence[str], target: str) -> pl.Expr:
    mapping = {unit: float(conversion(test, unit, target).factor) for unit in spellings}
    return pl.col(unit_column).replace_strict(mapping, default=None, return_dtype=pl.Float64)


class _Columns:
    def __init__(
        self, protocol: Protocol, units: Mapping[str, list[str]], ranges: Mapping[str, ReferenceRange]
    ) -> None:
        self.protocol = protocol
        self.units = units
        self.ranges = ranges
        self.tests = {test.code: test for test in protocol.safety.lab_tests}

    def lab_value(self, code: str, target: str) -> pl.Expr:
        factor = _factor(self.tests[code], f"labs.{code}.unit", self.units.get(code, []), target)
        return pl.col(f"labs.{code}.value") * factor

    def lab(self, spec: Input, code: str) -> list[pl.Expr]:
        test = self.tests[code]
        target = spec.unit or test.si_unit
        factor = _factor(test, f"labs.{code}.unit", self.units.get(code, []), target)
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
            return [_washout(source.days_since_last_use).alias(spec.name)]
        if source.days_since_other_trial:
            return [_since("other_trial_end_date", "consent_date").alias(spec.name)]
        if source.lab is not None:
            return self.lab(spec, source.lab)
        if source.instrument is not None:
            field = INSTRUMENT_FIELDS.get(source.instrument, (source.instrument, None))[0]
            return [pl.col(f"assessments.{field}").alias(spec.name)]
        return [pl.col(f"facts.{spec.name}").alias(spec.name)]


def _result(criterion: CompiledCriterion) -> pl.Expr:
    if criterion.rule is None:
        decision = pl.col(f"{JUDGEMENT}{criterion.id}")
        return pl.when(decision.is_null()).then(pl.lit("unknown")).otherwise(decision).alias(criterion.id)
    holds = criterion.rule.expression()
    passes, fails = ("satisfied", "not_satisfied") if criterion.type == "inclusion" else ("not_satisfied", "satisfied")
    return (
        pl.when(holds.is_null())
        .then(pl.lit("unknown"))
        .when(holds)
        .then(pl.lit(passes))
        .otherwise(pl.lit(fails))
        .alias(criterion.id)
    )


def _listed(criteria: Sequence[CompiledCriterion], result: str) -> pl.Expr:
    return pl.concat_str(
        [pl.when(pl.col(c.id) == result).then(pl.lit(c.id)) for c in criteria], separator=" ", ignore_nulls=True
    )


def screen_frame(
    protocol: Protocol,
    frame: pl.DataFrame,
    *,
    reference_ranges: Mapping[str, ReferenceRange] | None = None,
    criteria: Sequence[CompiledCriterion] | None = None,
    first_row: int = 0,
) -> pl.DataFrame:
    """Screen a table of candidates (see the module docstring); raises InvalidInput naming row and column."""
    typed, units, problems = read_frame(protocol, frame, first_row=first_row)
    if problems:
        raise InvalidInput(problems)
    criteria = criteria or compile_criteria(protocol)
    columns = _Columns(protocol, units, reference_ranges or {})
    judgements = [pl.col(f"judgements.{c.id}.decision").alias(f"{JUDGEMENT}{c.id}") for c in criteria if c.rule is None]
    inputs = typed.lazy().select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + first_row).alias("row"),
        pl.col("candidate"),
        *(expr for spec in protocol.eligibility.inputs for expr in columns.input(spec)),
        *judgements,
    )
    ids = [c.id for c in criteria]
    results = inputs.select("row", "candidate", *(_result(c) for c in criteria))
    not_satisfied = pl.any_horizontal(*(pl.col(i) == "not_satisfied" for i in ids))
    unknown = pl.any_horizontal(*(pl.col(i) == "unknown" for i in ids))
    verdict = pl.when(not_satisfied).then(pl.lit("ineligible")).when(unknown).then(pl.lit("incomplete"))
    return results.select(
        "row",
        "candidate",
        verdict.otherwise(pl.lit("eligible")).alias("verdict"),
        _listed(criteria, "not_satisfied").alias("not_satisfied"),
        _listed(criteria, "unknown").alias("unknown"),
        *ids,
    ).collect()
