"""One rule tree per criterion, compiled once from the protocol file, with two evaluators built from it.

A criterion's rule in the protocol file (``{input, op, value | relative_to, factor, offset, unit, precision}`` leaves
under ``all`` / ``any``) is compiled into a tree of :class:`Leaf`, :class:`AllOf` and :class:`AnyOf` nodes. Every node
has two evaluators, written side by side so that a reader checks them against each other in one place:

- :meth:`Node.evaluate` for one candidate: exact (``Decimal``), three-valued (``True`` / ``False`` / ``None`` for
  unknown), and returning the evidence of every comparison (value, unrounded and compared value, limit, unit,
  precision, reference range);
- :meth:`Node.expression` for a whole table: one polars expression, Boolean with nulls, whose ``&`` / ``|`` follow
  the same three-valued (Kleene) logic as the per-candidate path.

Neither evaluator knows any criterion: both read the compiled leaf. A value is compared at the precision the protocol
states for the limit, rounded half-up. The table path works in binary floats; to give the same answer as the exact
path it rounds with a relative guard of 1e-12 and treats numbers within 1e-12 (relative to the limit) as equal,
which is exact for clinical values with a few decimals (a property test checks the two paths agree).

The protocol's readings of ambiguous wording are applied here, at compile time, and named in the evidence:
``settings.washout_edge`` (``exact_days_fail`` makes a washout of exactly N days fail: ``< N`` becomes ``<= N``) and
``settings.transaminase_limit_reading`` (``at_least_3_uln_excludes`` turns ``> 2 × ULN`` on ALT/AST into
``>= 3 × ULN``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, getcontext
from typing import Any, Literal

import polars as pl

from dermtrial.protocol.eligibility import AllRule, AnyRule, Input, Threshold
from dermtrial.protocol.model import Protocol
from dermtrial.units import conversion_factor

Tri = bool | None
"""Three-valued truth: ``None`` is unknown."""
Scalar = Decimal | bool | str
TRANSAMINASES = frozenset({"ALT", "AST"})
"""Lab codes that ``settings.transaminase_limit_reading`` applies to."""
_GUARD = 1e-12


def decimal_of(value: float | int | str | Decimal) -> Decimal:
    """A number from a protocol file or JSON as the decimal that was written (``2.9`` is exactly 2.9)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def clean_factor(factor: float) -> Decimal:
    """A unit conversion factor to 12 significant digits, so that ``10.000000000000002`` is 10."""
    return Decimal(f"{factor:.12g}")


def round_half_up(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded half-up to a multiple of ``step`` (a power of ten): 2.915 → 2.92 at 0.01.

    The rounding keeps every digit left of ``step`` however large the value (``1E+30`` at 0.01 is not an error)."""
    if not value.is_finite():
        return value
    exponent = step.as_tuple().exponent
    assert isinstance(exponent, int), step
    digits = max(value.adjusted() + 1, 1) - min(exponent, 0) + 1
    return value.quantize(step, rounding=ROUND_HALF_UP, context=Context(prec=max(digits, getcontext().prec)))


@dataclass(frozen=True)
class InputValue:
    """One input of one candidate, ready to compare: the value in the input's unit (``None`` when unknown,
    ``Decimal('Infinity')`` for "never", e.g. a therapy never used), the reference range in the same unit, and the
    evidence of how it was obtained."""

    value: Scalar | None
    lln: Decimal | None = None
    uln: Decimal | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    missing: str | None = None
    """Why the value is unknown (shown as the reason of an unknown criterion)."""
    at_most: Decimal | None = None
    """An upper bound on an unknown value, in the input's unit: a washout over several therapy classes with one class
    not recorded is at most the days since the latest recorded use, so that use alone may already decide ``<`` and
    ``>=`` (a recent known use excludes; a long gap never passes while a class is missing)."""


@dataclass(frozen=True)
class Comparison:
    """The evidence of one leaf: what was compared with what, and the three-valued result."""

    input: str
    op: str
    limit: Any
    unit: str | None
    precision: Decimal | None
    unrounded: Any
    compared: Any
    result: Tri
    note: str | None = None
    at_most: bool = False
    """The value was unknown and ``compared`` is its upper bound (:attr:`InputValue.at_most`), which decided."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "input": self.input,
            "op": self.op,
            "limit": _json(self.limit),
            "unit": self.unit,
            "precision": None if self.precision is None else str(self.precision),
            "unrounded": _json(self.unrounded),
            "compared": _json(self.compared),
            "result": self.result,
        }
        if self.note:
            out["note"] = self.note
        if self.at_most:
            out["at_most"] = True
        return out


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value.is_infinite():
            return "never"
        return int(value) if value == value.to_integral_value() and abs(value) < 10**15 else float(value)
    if isinstance(value, tuple):
        return list(value)
    return value


Op = Literal["<", "<=", ">", ">=", "==", "!=", "in", "not_in"]


def _compare(a: Any, op: str, b: Any) -> bool:
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    if op == ">=":
        return bool(a >= b)
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "in":
        return a in b
    return a not in b


def _bounded(bound: Any, op: str, limit: Any) -> Tri:
    """Three-valued ``value op limit`` knowing only ``value <= bound``: ``<``/``<=`` can become true, ``>``/``>=``
    false; everything else stays unknown."""
    if op in {"<", "<="}:
        return True if _compare(bound, op, limit) else None
    if op in {">", ">="}:
        return None if _compare(bound, op, limit) else False
    return None


def _compare_expr(a: pl.Expr, op: str, b: pl.Expr, guard: pl.Expr) -> pl.Expr:
    """Float comparison where numbers closer than ``guard`` count as equal (see the module docstring)."""
    diff = a - b
    if op == "<":
        return diff < -guard
    if op == "<=":
        return diff <= guard
    if op == ">":
        return diff > guard
    if op == ">=":
        return diff >= -guard
    if op == "==":
        return diff.abs() <= guard
    return diff.abs() > guard


@dataclass(frozen=True)
class Leaf:
    """A compiled threshold: ``input op limit`` in the limit's unit, at the limit's precision."""

    input: str
    op: Op
    literal: Scalar | tuple[str, ...] | None
    relative_to: Literal["uln", "lln"] | None
    factor: Decimal
    offset: Decimal
    unit: str | None
    precision: Decimal | None
    scale: Decimal
    """Converts the input's unit to the limit's unit (1 when they are the same)."""
    note: str | None = None
    bounded: bool = False
    """The input may carry an upper bound while unknown (a washout): the table holds it in ``<input>__at_most``."""

    @property
    def numeric(self) -> bool:
        return self.relative_to is not None or isinstance(self.literal, Decimal)

    def inputs(self) -> set[str]:
        return {self.input}

    def evaluate(self, values: Mapping[str, InputValue]) -> tuple[Tri, list[Comparison]]:
        got = values.get(self.input) or InputValue(None, missing=f"no value for {self.input}")
        limit: Any = self.literal
        unrounded: Any = got.value
        compared: Any = got.value
        if self.relative_to is not None:
            bound = got.uln if self.relative_to == "uln" else got.lln
            limit = None if bound is None else self.factor * bound * self.scale + self.offset
        if self.numeric and isinstance(got.value, Decimal):
            unrounded = got.value * self.scale
            compared = unrounded if self.precision is None else round_half_up(unrounded, self.precision)
        at_most = False
        if got.value is None and got.at_most is not None and self.numeric and limit is not None:
            unrounded = got.at_most * self.scale
            compared = unrounded if self.precision is None else round_half_up(unrounded, self.precision)
            result: Tri = _bounded(compared, self.op, limit)
            at_most = result is not None
            if not at_most:
                unrounded = compared = None
        elif got.value is None or limit is None:
            result = None
        elif self.numeric != isinstance(got.value, Decimal):
            result = None  # a type the rule cannot compare: never a pass
        else:
            result = _compare(compared, self.op, limit)
        comparison = Comparison(
            self.input, self.op, limit, self.unit, self.precision, unrounded, compared, result, self.note, at_most
        )
        return result, [comparison]

    def expression(self) -> pl.Expr:
        column = pl.col(self.input)
        if not self.numeric:
            if isinstance(self.literal, tuple):
                hit = column.is_in(list(self.literal))
                test = hit if self.op == "in" else ~hit
            else:
                test = column == pl.lit(self.literal) if self.op == "==" else column != pl.lit(self.literal)
            return pl.when(column.is_null()).then(None).otherwise(test)
        exact = self._numeric_expression(column)
        if not self.bounded or self.op in {"==", "!="}:
            return exact
        within = self._numeric_expression(pl.col(f"{self.input}__at_most"))
        unknown = pl.lit(None, dtype=pl.Boolean)
        if self.op in {"<", "<="}:
            from_bound = pl.when(within).then(True).otherwise(unknown)
        else:
            from_bound = pl.when(within.not_()).then(False).otherwise(unknown)
        return pl.when(column.is_not_null()).then(exact).otherwise(from_bound)

    def _numeric_expression(self, column: pl.Expr) -> pl.Expr:
        value = column * float(self.scale) if self.scale != 1 else column
        if self.relative_to is not None:
            bound = pl.col(f"{self.input}__{self.relative_to}")
            limit = bound * float(self.factor * self.scale) + float(self.offset)
        else:
            assert isinstance(self.literal, Decimal)
            limit = pl.lit(float(self.literal))
        if self.precision is not None:
            step = float(self.precision)
            steps = value / step
            value = (steps + 0.5 + steps.abs() * _GUARD).floor()
            limit = limit / step
        return _compare_expr(value, self.op, limit, (limit.abs() + 1.0) * _GUARD)


@dataclass(frozen=True)
class AllOf:
    """Every part holds (Kleene: one false part makes it false, else one unknown part makes it unknown)."""

    parts: tuple[Node, ...]

    def inputs(self) -> set[str]:
        return set().union(*(part.inputs() for part in self.parts))

    def evaluate(self, values: Mapping[str, InputValue]) -> tuple[Tri, list[Comparison]]:
        results, evidence = _evaluate_parts(self.parts, values)
        if False in results:
            return False, evidence
        return (None if None in results else True), evidence

    def expression(self) -> pl.Expr:
        return pl.all_horizontal(*(part.expression() for part in self.parts))


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds (Kleene: one true part makes it true, else one unknown part makes it unknown)."""

    parts: tuple[Node, ...]

    def inputs(self) -> set[str]:
        return set().union(*(part.inputs() for part in self.parts))

    def evaluate(self, values: Mapping[str, InputValue]) -> tuple[Tri, list[Comparison]]:
        results, evidence = _evaluate_parts(self.parts, values)
        if True in results:
            return True, evidence
        return (None if None in results else False), evidence

    def expression(self) -> pl.Expr:
        return pl.any_horizontal(*(part.expression() for part in self.parts))


Node = Leaf | AllOf | AnyOf


def _evaluate_parts(parts: Sequence[Node], values: Mapping[str, InputValue]) -> tuple[list[Tri], list[Comparison]]:
    results: list[Tri] = []
    evidence: list[Comparison] = []
    for part in parts:
        result, comparisons = part.evaluate(values)
        results.append(result)
        evidence.extend(comparisons)
    return results, evidence


def _literal(value: float | str | bool | list[str] | None) -> Scalar | tuple[str, ...] | None:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, bool | str) or value is None:
        return value
    return decimal_of(value)


def _compile_leaf(threshold: Threshold, spec: Input, protocol: Protocol) -> Leaf:
    op: Op = threshold.op
    factor = decimal_of(threshold.factor)
    note: str | None = None
    source = spec.source
    settings = protocol.settings
    if source.days_since_last_use is not None and settings.washout_edge == "exact_days_fail":
        flipped: dict[str, Op] = {"<": "<=", ">=": ">"}
        if op in flipped:
            op = flipped[op]
            note = "settings.washout_edge = exact_days_fail: a washout of exactly the stated days fails"
    if (
        source.lab in TRANSAMINASES
        and threshold.relative_to == "uln"
        and op == ">"
        and settings.transaminase_limit_reading == "at_least_3_uln_excludes"
    ):
        op, factor = ">=", Decimal(3)
        note = "settings.transaminase_limit_reading = at_least_3_uln_excludes: read as >= 3 × ULN"
    unit = threshold.unit or spec.unit
    scale = Decimal(1)
    if threshold.unit and spec.unit and threshold.unit != spec.unit:
        scale = clean_factor(conversion_factor(spec.unit, threshold.unit))
    return Leaf(
        input=threshold.input,
        op=op,
        literal=_literal(threshold.value),
        relative_to=threshold.relative_to,
        factor=factor,
        offset=decimal_of(threshold.offset),
        unit=unit,
        precision=threshold.precision,
        scale=scale,
        note=note,
        bounded=source.days_since_last_use is not None,
    )


def compile_rule(rule: Threshold | AllRule | AnyRule, protocol: Protocol) -> Node:
    """The rule tree of one criterion, with its leaves bound to the protocol's inputs and settings."""
    if isinstance(rule, AllRule):
        return AllOf(tuple(compile_rule(part, protocol) for part in rule.all))
    if isinstance(rule, AnyRule):
        return AnyOf(tuple(compile_rule(part, protocol) for part in rule.any))
    spec = next(spec for spec in protocol.eligibility.inputs if spec.name == rule.input)
    return _compile_leaf(rule, spec, protocol)
