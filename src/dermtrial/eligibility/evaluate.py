"""The three-valued eligibility verdict of one candidate, criterion by criterion, with what decided each.

Rule, in words: each criterion of the protocol gives ``satisfied``, ``not_satisfied`` or ``unknown``. An inclusion is
satisfied when its rule holds; an exclusion is satisfied when its rule does not apply (``applies`` is false) and not
satisfied when it applies. A rule over a missing value is unknown, never a pass. An investigator judgement is decided
only by an attestation (named investigator, date, decision, reason); without one it is unknown. The verdict is
``ineligible`` when any criterion is not satisfied, ``incomplete`` when none fails but one is unknown, and
``eligible`` otherwise.

Example (NCT03392311, E5b serum calcium > 2.9 or < 2.0 mmol/L, at 0.01 mmol/L)::

    reported        converted (unrounded)   compared   applies   result
    11.6 mg/dL      2.8944 mmol/L           2.89       false     satisfied
    11.7 mg/dL      2.9193 mmol/L           2.92       true      not_satisfied
    2.90 mmol/L     2.90                    2.90       false     satisfied
    1.99 mmol/L     1.99                    1.99       true      not_satisfied
    (no result)     -                       -          null      unknown
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from dermtrial.eligibility.inputs import derive_inputs
from dermtrial.eligibility.labs import ReferenceRange
from dermtrial.eligibility.record import ScreeningRecord
from dermtrial.eligibility.rules import Comparison, InputValue, Node, Tri, compile_rule
from dermtrial.protocol.model import Protocol

Result = Literal["satisfied", "not_satisfied", "unknown"]
Verdict = Literal["eligible", "ineligible", "incomplete"]
KIND_NAMES = {"computed": "computed", "recorded_fact": "recorded", "investigator_judgement": "judgement"}


@dataclass(frozen=True)
class CompiledCriterion:
    """One criterion of the protocol, its rule compiled once (None for a judgement)."""

    id: str
    type: Literal["inclusion", "exclusion"]
    kind: str
    text: str
    rule: Node | None
    note: str | None


def compile_criteria(protocol: Protocol) -> tuple[CompiledCriterion, ...]:
    """Every inclusion then exclusion criterion of the protocol, in file order, with compiled rules."""
    out: list[CompiledCriterion] = []
    for kind_of_list, criteria in (
        ("inclusion", protocol.eligibility.inclusion),
        ("exclusion", protocol.eligibility.exclusion),
    ):
        for criterion in criteria:
            rule = None if criterion.rule is None else compile_rule(criterion.rule, protocol)
            out.append(
                CompiledCriterion(
                    id=criterion.id,
                    type="inclusion" if kind_of_list == "inclusion" else "exclusion",
                    kind=KIND_NAMES.get(criterion.kind, criterion.kind),
                    text=criterion.text,
                    rule=rule,
                    note=criterion.note,
                )
            )
    return tuple(out)


def result_of(criterion_type: str, holds: Tri) -> tuple[Result, bool | None]:
    """(result, applies) from the rule's three-valued outcome; ``applies`` is None for an inclusion."""
    if criterion_type == "inclusion":
        return ("unknown" if holds is None else "satisfied" if holds else "not_satisfied"), None
    return ("unknown" if holds is None else "not_satisfied" if holds else "satisfied"), holds


def verdict_of(results: Sequence[Result]) -> Verdict:
    """``ineligible`` if any criterion is not satisfied, ``incomplete`` if any is unknown, else ``eligible``."""
    if "not_satisfied" in results:
        return "ineligible"
    return "incomplete" if "unknown" in results else "eligible"


@dataclass(frozen=True)
class CriterionResult:
    """The outcome of one criterion for one candidate."""

    criterion: CompiledCriterion
    result: Result
    applies: bool | None
    reason: str
    evidence: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.criterion.id,
            "type": self.criterion.type,
            "kind": self.criterion.kind,
            "result": self.result,
        }
        if self.criterion.type == "exclusion":
            out["applies"] = self.applies
        out["reason"] = self.reason
        out["evidence"] = dict(self.evidence)
        return out


@dataclass(frozen=True)
class Evaluation:
    """The verdict of one candidate with every criterion's result."""

    candidate: str | None
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]

    def failing(self) -> list[str]:
        """Ids of the criteria not satisfied (what excluded the candidate)."""
        return [c.criterion.id for c in self.criteria if c.result == "not_satisfied"]

    def unknown(self) -> list[str]:
        """Ids of the criteria that could not be decided."""
        return [c.criterion.id for c in self.criteria if c.result == "unknown"]

    def to_json(self) -> dict[str, Any]:
        """The ``dermtrial eligibility check`` object (docs/eligibility.md)."""
        return {
            "candidate": self.candidate,
            "verdict": self.verdict,
            "criteria": [c.to_json() for c in self.criteria],
        }


def _describe(comparison: Comparison) -> str:
    unit = f" {comparison.unit}" if comparison.unit and comparison.unit not in {"year", "day"} else ""
    truth = "" if comparison.result else "not "
    value, limit = _shown(comparison.compared), _shown(comparison.limit)
    bound = "at most " if comparison.at_most else ""
    return f"{comparison.input} {bound}{value}{unit} {truth}{comparison.op} {limit}{unit}"


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return "never" if value.is_infinite() else format(value.normalize(), "f")
    return str(value)


def _rule_result(criterion: CompiledCriterion, rule: Node, values: Mapping[str, InputValue]) -> CriterionResult:
    holds, comparisons = rule.evaluate(values)
    result, applies = result_of(criterion.type, holds)
    used = sorted(rule.inputs())
    if holds is None:
        missing = [values[name].missing or f"no value for {name}" for name in used if values[name].value is None]
        ranges = [c.input for c in comparisons if c.result is None and values[c.input].value is not None]
        missing += [f"no reference range for {name}" for name in dict.fromkeys(ranges)]
        reason = "unknown: " + "; ".join(dict.fromkeys(missing))
    else:
        deciding = [c for c in comparisons if c.result is holds] or comparisons
        reason = "; ".join(_describe(c) for c in deciding)
    evidence: dict[str, Any] = {
        "inputs": {name: dict(values[name].evidence) for name in used},
        "comparisons": [c.to_json() for c in comparisons],
    }
    if criterion.note:
        evidence["note"] = criterion.note
    return CriterionResult(criterion, result, applies, reason, evidence)


def _judgement_result(criterion: CompiledCriterion, record: ScreeningRecord) -> CriterionResult:
    attestation = record.judgements.get(criterion.id)
    if attestation is None:
        reason = "unknown: needs an investigator's attestation (judgements." + criterion.id + ")"
        return CriterionResult(criterion, "unknown", None, reason, {"attestation": None})
    result: Result = attestation.decision
    applies = None if criterion.type == "inclusion" else result == "not_satisfied"
    evidence = {"attestation": attestation.model_dump(mode="json")}
    reason = f"{attestation.decision} by {attestation.investigator} on {attestation.date}: {attestation.reason}"
    return CriterionResult(criterion, result, applies, reason, evidence)


def evaluate_criteria(
    criteria: Sequence[CompiledCriterion], record: ScreeningRecord, values: Mapping[str, InputValue]
) -> Evaluation:
    """The evaluation of one record whose inputs are already derived."""
    results = tuple(
        _judgement_result(c, record) if c.rule is None else _rule_result(c, c.rule, values) for c in criteria
    )
    return Evaluation(record.candidate, verdict_of([r.result for r in results]), results)


def evaluate_candidate(
    protocol: Protocol,
    record: ScreeningRecord,
    *,
    reference_ranges: Mapping[str, ReferenceRange] | None = None,
    criteria: Sequence[CompiledCriterion] | None = None,
) -> Evaluation:
    """Evaluate one screening record against the protocol's criteria.

    ``reference_ranges`` (test code → range) stands in for a lab result that carries no reference range, e.g. the
    site's stored ranges. ``criteria`` may be passed when evaluating many records, to compile the rules once.
    Raises :class:`~dermtrial.errors.InvalidInput` when the record cannot be read: no verdict then.
    """
    values = derive_inputs(protocol, record, reference_ranges)
    return evaluate_criteria(criteria or compile_criteria(protocol), record, values)
