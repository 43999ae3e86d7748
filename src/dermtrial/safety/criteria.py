"""The CTCAE v5.0 laboratory grading criteria, read from ``data/ctcae_v5_lab.yaml``.

The data file holds, for each graded term, the published text of every grade beside the rule dermtrial executes and
the unit it runs in (the file's header explains how a rule reads). This module only reads and checks the file; the
grading itself is :func:`dermtrial.safety.grade_lab.grade_lab`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from dermtrial.eligibility.rules import decimal_of

Op = Literal[">", ">=", "<", "<="]
Ref = Literal["ULN", "LLN", "baseline", "reference"]
When = Literal["always", "normal_baseline", "abnormal_baseline", "baseline_given"]
_OPS = (">", ">=", "<", "<=")
_REFS = ("ULN", "LLN", "baseline", "reference")
_WHENS = ("always", "normal_baseline", "abnormal_baseline", "baseline_given")


@dataclass(frozen=True)
class Rule:
    """``value op limit`` where limit = ref × factor + offset, or the absolute ``value`` when there is no ref."""

    op: Op
    ref: Ref | None
    factor: Decimal
    offset: Decimal
    value: Decimal | None
    when: When
    above_uln: bool

    def describe(self) -> str:
        """The rule in words, for docs/safety.md: ``> 3.0 × ULN`` or ``< 75.0``."""
        if self.ref is None:
            limit = str(self.value)
        else:
            limit = self.ref if self.factor == 1 else f"{self.factor} × {self.ref}"
            if self.offset:
                limit += f" + {self.offset}"
        text = f"{self.op} {limit}"
        if self.when != "always":
            text += f" (when {self.when.replace('_', ' ')})"
        if self.above_uln:
            text += " and > ULN"
        return text


@dataclass(frozen=True)
class Grade:
    """One grade of a term: the published text and the rules of which any one suffices."""

    grade: int
    text: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Term:
    """A CTCAE v5.0 term graded from a laboratory value."""

    term: str
    soc: str
    tests: tuple[str, ...]
    direction: Literal["low", "high"]
    unit: str
    precision: Decimal
    grades: tuple[Grade, ...]
    clinical: dict[int, str]
    """Grades whose published text also needs clinical context, with that text."""
    baseline_aware: bool
    calcium: bool
    note: str | None


@dataclass(frozen=True)
class Criteria:
    """The whole file: its version (stored with every grade), its source and the terms."""

    version: str
    source: str
    terms: tuple[Term, ...]

    def terms_for(self, test: str) -> list[Term]:
        """The terms graded from one LBTESTCD, in file order (``CA`` → Hypercalcemia, Hypocalcemia)."""
        return [term for term in self.terms if test in term.tests]

    def tests(self) -> list[str]:
        """Every LBTESTCD that has at least one graded term, in file order."""
        seen: dict[str, None] = {}
        for term in self.terms:
            for test in term.tests:
                seen.setdefault(test, None)
        return list(seen)


def _choice(data: dict[str, Any], key: str, allowed: tuple[str, ...], default: str | None, where: str) -> Any:
    value = data.get(key, default)
    if value not in allowed and not (value is None and default is None):
        raise ValueError(f"{where}.{key}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _rule(data: dict[str, Any], where: str) -> Rule:
    unknown = set(data) - {"op", "ref", "factor", "offset", "value", "when", "above_uln"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    ref = _choice(data, "ref", _REFS, None, where)
    if (ref is None) == (data.get("value") is None):
        raise ValueError(f"{where}: a rule needs either ref or value")
    return Rule(
        op=_choice(data, "op", _OPS, None, where),
        ref=ref,
        factor=decimal_of(data.get("factor", 1)),
        offset=decimal_of(data.get("offset", 0)),
        value=None if data.get("value") is None else decimal_of(data["value"]),
        when=_choice(data, "when", _WHENS, "always", where),
        above_uln=bool(data.get("above_uln", False)),
    )


def _term(data: dict[str, Any]) -> Term:
    name = str(data["term"])
    grades = tuple(
        Grade(int(g["grade"]), str(g["text"]), tuple(_rule(r, f"{name} grade {g['grade']}") for r in g["rules"]))
        for g in data["grades"]
    )
    if [g.grade for g in grades] != sorted({g.grade for g in grades}):
        raise ValueError(f"{name}: grades must be listed once each, lowest first")
    return Term(
        term=name,
        soc=str(data["soc"]),
        tests=tuple(str(t) for t in data["tests"]),
        direction=data["direction"],
        unit=str(data["unit"]),
        precision=decimal_of(data["precision"]),
        grades=grades,
        clinical={int(c["grade"]): str(c["text"]) for c in data.get("clinical", [])},
        baseline_aware=bool(data.get("baseline_aware", False)),
        calcium=bool(data.get("calcium", False)),
        note=None if data.get("note") is None else str(data["note"]),
    )


@cache
def criteria() -> Criteria:
    """The CTCAE v5.0 laboratory criteria shipped with dermtrial (read once)."""
    text = resources.files("dermtrial.safety").joinpath("data", "ctcae_v5_lab.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return Criteria(
        version=str(data["version"]),
        source=str(data["source"]),
        terms=tuple(_term(t) for t in data["terms"]),
    )
