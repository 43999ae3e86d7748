"""``grade_lab``: the CTCAE v5.0 grade of one laboratory result, for every term its test maps to.

In words: the value is converted from the site's unit to the unit of the criterion (through the test's molar mass
when mass and amount of substance differ, with the helpers of :mod:`dermtrial.eligibility.labs`), and so are the
site's reference range (``lln``, ``uln``) and the subject's baseline, all given in the result's unit. Calcium is first
corrected for albumin by the protocol's formula (``settings.calcium_correction``, default Payne:
Ca + 0.02 × (40 − albumin g/L) mmol/L); without an albumin it is graded as measured and the result says
``uncorrected``. A value reported in the criterion's unit is compared exactly as reported; a converted or corrected
value is first rounded half-up to the criterion's precision, which is finer than its limits and only removes
conversion noise. Limits are exact; the grade is the highest whose rule holds, 0 when none does. Source: NCI CTCAE
v5.0 (27 Nov 2017), via
``data/ctcae_v5_lab.yaml``.

Baseline: for ALT, AST, ALP, bilirubin and GGT a baseline above the ULN is abnormal and the multiples apply to it; a
baseline at or below the ULN, or none, uses the ULN rules. Creatinine's grades 2 and 3 also hold on multiples of a
given baseline. "Hemoglobin increased" counts from ``hemoglobin_increased_reference`` (``uln`` by default, or
``baseline``).

Not computable is a result: a term whose decisive rule needs a limit that was not given has grade ``None`` and a
reason. Where CTCAE also needs clinical context (symptoms, an intervention), the value alone decides and
``value_only`` says which grades the investigator may still raise it to.

Example (PLAT, 10^9/L, LLN 150): 150 → 0; 149.9 → 1; 75.0 → 1; 74.9 → 2; 24.9 → 4.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from dermtrial.eligibility.labs import calcium_correction, conversion
from dermtrial.eligibility.rules import round_half_up
from dermtrial.protocol.model import LabTest
from dermtrial.safety.criteria import Grade, Rule, Term, criteria

HemoglobinReference = Literal["uln", "baseline"]


@dataclass(frozen=True)
class TermGrade:
    """The grade of one CTCAE term: 0–4, or ``None`` with the reason it cannot be given."""

    term: str
    grade: int | None
    compared_value: Decimal
    """The value compared, in ``unit``: as reported, or converted (or corrected) and rounded to ``precision``."""
    unit: str
    reason: str | None = None
    value_only: str | None = None
    """Set when a higher or equal grade also depends on clinical context the value cannot show."""


@dataclass(frozen=True)
class LabGrade:
    """Every term graded from one result, with the criteria version stored beside it."""

    test: str
    grades: tuple[TermGrade, ...]
    version: str
    calcium: Literal["corrected", "uncorrected"] | None = None
    correction: str | None = None

    def grade_of(self, term: str) -> int | None:
        """The grade of one term (KeyError when the test does not map to it)."""
        for item in self.grades:
            if item.term == term:
                return item.grade
        raise KeyError(term)

    def to_json(self) -> dict[str, Any]:
        """The ``dermtrial grade lab`` output: test, grades, what could not be graded, what the value alone decided."""
        out: dict[str, Any] = {"test": self.test, "grades": {g.term: g.grade for g in self.grades}}
        not_gradable = {g.term: g.reason for g in self.grades if g.grade is None}
        if not_gradable:
            out["not_gradable"] = not_gradable
        value_only = {g.term: g.value_only for g in self.grades if g.value_only}
        if value_only:
            out["value_only"] = value_only
        if self.calcium is not None:
            out["calcium"] = self.calcium
        out["version"] = self.version
        return out


@dataclass(frozen=True)
class Limits:
    value: Decimal
    lln: Decimal | None
    uln: Decimal | None
    baseline: Decimal | None
    reference: Decimal | None


def _convert(test: LabTest, value: Decimal | None, unit: str, target: str) -> Decimal | None:
    if value is None:
        return None
    return value * conversion(test, unit, target).factor


def _limit(rule: Rule, limits: Limits) -> tuple[Decimal | None, str | None]:
    if rule.ref is None:
        assert rule.value is not None
        return rule.value, None
    base = {"ULN": limits.uln, "LLN": limits.lln, "baseline": limits.baseline, "reference": limits.reference}[rule.ref]
    if base is None:
        return None, f"needs the {rule.ref}"
    return base * rule.factor + rule.offset, None


def _holds(value: Decimal, op: str, limit: Decimal) -> bool:
    return {">": value > limit, ">=": value >= limit, "<": value < limit, "<=": value <= limit}[op]


def _applies(rule: Rule, limits: Limits) -> tuple[bool | None, str | None]:
    """Whether the rule's ``when`` applies: True, False, or None (unknown, with the reason)."""
    if rule.when == "always":
        return True, None
    if rule.when == "baseline_given":
        return limits.baseline is not None, None
    if limits.baseline is None:
        return rule.when == "normal_baseline", None
    if limits.uln is None:
        return None, "needs the ULN to tell a normal baseline from an abnormal one"
    abnormal = limits.baseline > limits.uln
    return abnormal == (rule.when == "abnormal_baseline"), None


def _evaluate(rule: Rule, value: Decimal, limits: Limits) -> tuple[bool | None, str | None]:
    applies, reason = _applies(rule, limits)
    if applies is not True:
        return applies, reason
    if rule.above_uln:
        if limits.uln is None:
            return None, "needs the ULN"
        if not value > limits.uln:
            return False, None
    limit, reason = _limit(rule, limits)
    if limit is None:
        return None, reason
    return _holds(value, rule.op, limit), None


def _grade_holds(grade: Grade, value: Decimal, limits: Limits) -> tuple[bool | None, str | None]:
    unknown: str | None = None
    for rule in grade.rules:
        holds, reason = _evaluate(rule, value, limits)
        if holds:
            return True, None
        if holds is None and unknown is None:
            unknown = reason
    return (None, unknown) if unknown else (False, None)


def grade_term(term: Term, value: Decimal, limits: Limits, *, as_reported: bool = False) -> TermGrade:
    """Grade one term on a value already in the term's unit (highest grade whose rule holds).

    ``as_reported``: the value is the laboratory's own figure in the term's unit, compared without rounding; otherwise
    it was converted or corrected and is rounded half-up to the term's precision first.
    """
    compared = value if as_reported else round_half_up(value, term.precision)
    for grade in sorted(term.grades, key=lambda g: -g.grade):
        holds, reason = _grade_holds(grade, compared, limits)
        if holds is None:
            why = f"grade {grade.grade} ({grade.text}) {reason}"
            return TermGrade(term.term, None, compared, term.unit, reason=why)
        if holds:
            return TermGrade(term.term, grade.grade, compared, term.unit, value_only=_value_only(term, grade.grade))
    return TermGrade(term.term, 0, compared, term.unit)


def _value_only(term: Term, grade: int) -> str | None:
    context = [f"grade {g}: {text}" for g, text in sorted(term.clinical.items()) if g >= grade]
    if not context:
        return None
    return "graded on the value alone; CTCAE also grades by clinical context (" + "; ".join(context) + ")"


def grade_lab(
    test: LabTest,
    value: Decimal,
    unit: str,
    *,
    lln: Decimal | None = None,
    uln: Decimal | None = None,
    baseline: Decimal | None = None,
    albumin_g_per_l: Decimal | None = None,
    calcium_correction_name: str = "payne",
    hemoglobin_increased_reference: HemoglobinReference = "uln",
) -> LabGrade:
    """Grade one result of ``test`` (value, range and baseline in ``unit``) for every CTCAE term it maps to.

    The unit must be one the test allows (check it first with :func:`dermtrial.eligibility.labs.check_unit`).
    """
    rules = criteria()
    results: list[TermGrade] = []
    calcium: Literal["corrected", "uncorrected"] | None = None
    correction_source: str | None = None
    for term in rules.terms_for(test.code):
        target = term.unit
        converted = _convert(test, value, unit, target)
        assert converted is not None
        as_reported = conversion(test, unit, target).factor == 1
        if term.calcium:
            if albumin_g_per_l is None:
                calcium = "uncorrected"
            else:
                formula = calcium_correction(calcium_correction_name)
                in_formula_unit = _convert(test, value, unit, formula.calcium_unit)
                assert in_formula_unit is not None
                corrected = formula.correct(in_formula_unit, albumin_g_per_l)
                converted = _convert(test, corrected, formula.calcium_unit, target)
                assert converted is not None
                calcium, correction_source = "corrected", formula.name
                as_reported = False
        limits_uln = _convert(test, uln, unit, target)
        limits_baseline = _convert(test, baseline, unit, target)
        reference = limits_baseline if hemoglobin_increased_reference == "baseline" else limits_uln
        limits = Limits(converted, _convert(test, lln, unit, target), limits_uln, limits_baseline, reference)
        results.append(grade_term(term, converted, limits, as_reported=as_reported))
    return LabGrade(test.code, tuple(results), rules.version, calcium, correction_source)
