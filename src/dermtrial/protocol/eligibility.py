"""How a protocol file states its eligibility criteria.

Each criterion keeps the registered text verbatim and says what kind it is:

- ``computed``: decided by a rule over named inputs (scores, age, labs, washout days) with units and precision;
- ``recorded_fact``: decided by a rule over a fact a person records (psoriasis type, pregnancy, consent);
- ``investigator_judgement``: decided by a named investigator's attestation.

For an inclusion criterion the rule says when it *holds*; for an exclusion criterion, when it *applies* (excludes).
The evaluator lives in :mod:`dermtrial.eligibility`; this module only describes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from dermtrial.modeling import Ident, Precision, StrictModel, UnitStr


class InputSource(StrictModel):
    """Where an eligibility input comes from. Exactly one of the fields is set."""

    instrument: str | None = None
    """An instrument score taken at screening (``pasi``, ``bsa``, ``zung-sas``, ``zung-sds`` …)."""
    item: str | None = None
    """A recorded item, ``FORM.ITEM``."""
    lab: str | None = None
    """A laboratory test code of ``safety.lab_tests`` (its latest screening result)."""
    age_at: Literal["consent", "baseline"] | None = None
    """Age in whole years at that date, from the birth date."""
    days_since_last_use: list[str] | None = None
    """Whole days from the last use of any of these prior-therapy classes (code list ``therapy_class``) to the
    baseline date."""
    days_since_other_trial: bool | None = None
    """Whole days from the end of participation in another clinical trial to consent."""

    @model_validator(mode="after")
    def _exactly_one(self) -> InputSource:
        given = [name for name, value in self if value is not None]
        if len(given) != 1:
            raise ValueError(
                "an input source sets exactly one of instrument, item, lab, age_at, days_since_last_use, "
                f"days_since_other_trial (got {', '.join(given) or 'none'})"
            )
        return self


class Input(StrictModel):
    """A named value that criteria compare."""

    name: Ident
    """The name rules use."""
    description: str
    """What it is, for the screen and the evidence."""
    source: InputSource
    """Where the value comes from."""
    unit: UnitStr | None = None
    """The unit in which rules state their limits; values in other units are converted to it."""


Comparison = Literal["<", "<=", ">", ">=", "==", "!=", "in", "not_in"]


class Threshold(StrictModel):
    """``{input: calcium, op: ">", value: 2.9, unit: mmol/L, precision: "0.01"}``.

    A limit relative to the site's reference range sets ``relative_to`` (``uln`` or ``lln``) with ``factor`` and
    ``offset``: ``AST > 2 × ULN`` is ``{input: ast, op: ">", relative_to: uln, factor: 2}``; ``haemoglobin > ULN +
    20 g/L`` is ``{input: hgb, op: ">", relative_to: uln, offset: 20, unit: g/L}``.
    """

    input: str
    """The input compared (a name from ``eligibility.inputs``)."""
    op: Comparison
    """The comparison."""
    value: float | str | bool | list[str] | None = None
    """An absolute limit (or the codes for ``in`` / ``not_in``)."""
    relative_to: Literal["uln", "lln"] | None = None
    """A limit relative to the reference range instead of ``value``."""
    factor: float = 1.0
    """Multiplies the reference limit."""
    offset: float = 0.0
    """Added to the reference limit, in ``unit``."""
    unit: UnitStr | None = None
    """The unit of ``value`` / ``offset``; values are converted to it before comparing."""
    precision: Precision | None = None
    """The step at which the value is compared: converted values are rounded half-up to it first."""

    @model_validator(mode="after")
    def _one_limit(self) -> Threshold:
        if (self.value is None) == (self.relative_to is None):
            raise ValueError("a threshold has either value or relative_to, not both and not neither")
        if self.op in {"in", "not_in"} and not isinstance(self.value, list):
            raise ValueError(f"operator {self.op} needs a list value")
        return self


class AllRule(StrictModel):
    """``{all: [...]}``: every part holds."""

    all: list[Rule] = Field(min_length=1)
    """The parts."""


class AnyRule(StrictModel):
    """``{any: [...]}``: at least one part holds."""

    any: list[Rule] = Field(min_length=1)
    """The parts."""


_RULE_TAGS = {"input": "rule[threshold]", "all": "rule[all]", "any": "rule[any]"}


def _rule_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((tag for key, tag in _RULE_TAGS.items() if key in value), None)
    kinds: dict[type, str] = {Threshold: "input", AllRule: "all", AnyRule: "any"}
    kind = kinds.get(type(value))
    return _RULE_TAGS[kind] if kind else None


Rule = Annotated[
    Annotated[Threshold, Tag("rule[threshold]")]
    | Annotated[AllRule, Tag("rule[all]")]
    | Annotated[AnyRule, Tag("rule[any]")],
    Discriminator(
        _rule_kind,
        custom_error_type="rule",
        custom_error_message="a rule is {input, op, value|relative_to}, {all: [...]} or {any: [...]}",
    ),
]
"""A declarative rule over named inputs, evaluated three-valued (true / false / unknown)."""

AllRule.model_rebuild()
AnyRule.model_rebuild()

CriterionKind = Literal["computed", "recorded_fact", "investigator_judgement", "unclassified"]
"""``unclassified`` is only for imported drafts: such a criterion makes the protocol incomplete."""


class Criterion(StrictModel):
    """One eligibility criterion (or one part of a registered criterion)."""

    id: Ident
    """Unique id, e.g. ``I1`` or ``E5c``."""
    number: int = Field(ge=1)
    """The registered criterion's number (parts of one criterion share it)."""
    text: str
    """The registered wording, verbatim."""
    kind: CriterionKind
    """How it is decided."""
    rule: Rule | None = None
    """For ``computed`` and ``recorded_fact``: the rule (inclusion: when it holds; exclusion: when it applies)."""
    attestation_role: Literal["investigator"] | None = None
    """For ``investigator_judgement``: the delegated role that must attest."""
    note: str | None = None
    """How the text was read (e.g. the reading of "2 times more than ULN")."""

    @model_validator(mode="after")
    def _decided_somehow(self) -> Criterion:
        if self.kind == "unclassified":
            if self.rule is not None or self.attestation_role is not None:
                raise ValueError("an unclassified criterion has neither rule nor attestation_role")
        elif self.kind == "investigator_judgement":
            if self.attestation_role is None or self.rule is not None:
                raise ValueError("an investigator_judgement criterion has attestation_role and no rule")
        elif self.rule is None or self.attestation_role is not None:
            raise ValueError(f"a {self.kind} criterion has a rule and no attestation_role")
        return self


class Eligibility(StrictModel):
    """The eligibility criteria of the protocol."""

    minimum_age: int | None = Field(default=None, ge=0)
    """As registered, in years."""
    maximum_age: int | None = Field(default=None, ge=0)
    """As registered, in years."""
    sex: Literal["ALL", "FEMALE", "MALE"] = "ALL"
    """As registered."""
    healthy_volunteers: bool = False
    """As registered."""
    inputs: list[Input] = Field(default_factory=list)
    """The named values rules compare."""
    inclusion: list[Criterion] = Field(default_factory=list)
    """All must hold."""
    exclusion: list[Criterion] = Field(default_factory=list)
    """Any one excludes."""
