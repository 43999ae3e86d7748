"""The screening record: one candidate's data, as the command line and the services hand it to the evaluator.

The shape is documented field by field in docs/eligibility.md (a test keeps the two in step). Every field is optional:
a field left out is *unknown* and can never make a criterion pass. ``null`` means "never" where the field says so
(``last_use.*``: never used; ``other_trial_end_date``: never in another trial).

Numbers are read exactly (``Decimal``); dates are ISO ``YYYY-MM-DD`` text. Unknown keys are refused. What depends on
the protocol (lab test codes and units, therapy classes, fact names and their types, judgement criteria, the order of
dates) is checked by :func:`dermtrial.eligibility.candidate.read_candidate`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from dermtrial.errors import InvalidInput, problems_from_validation_error
from dermtrial.instruments import PasiItems

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("iso_date", "expected a date YYYY-MM-DD")


def _number(low: Decimal | None = None, high: Decimal | None = None, whole: bool = False) -> Any:
    if whole:
        rule = f"a whole number {low}–{high}"
    elif high is None:
        rule = f"a number >= {low}" if low is not None else "a number"
    else:
        rule = f"a number {low}–{high}"

    def check(value: object) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise PydanticCustomError("number", "must be {rule}", {"rule": rule})
        try:
            exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:  # pragma: no cover - a float repr is always a decimal literal
            raise PydanticCustomError("number", "must be {rule}", {"rule": rule}) from None
        if exact.is_finite() and not math.isfinite(float(exact)):
            # 1e999 in JSON: a decimal the screening table (binary floats) reads as infinity; refused on both paths.
            raise PydanticCustomError("number", "must be {rule} (at most 1.7e308)", {"rule": rule})
        bad = not exact.is_finite() or (whole and exact != exact.to_integral_value())
        if bad or (low is not None and exact < low) or (high is not None and exact > high):
            raise PydanticCustomError("number", "must be {rule}", {"rule": rule})
        return exact

    return check


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
NonNegative = Annotated[Decimal, BeforeValidator(_number(Decimal(0)))]
Pasi = Annotated[Decimal, BeforeValidator(_number(Decimal(0), Decimal(72)))]
Percent = Annotated[Decimal, BeforeValidator(_number(Decimal(0), Decimal(100)))]
ZungIndex = Annotated[Decimal, BeforeValidator(_number(Decimal(25), Decimal(100), whole=True))]
FactValue = bool | str | Annotated[Decimal, BeforeValidator(_number())]


class RecordModel(BaseModel):
    """Unknown keys refused; values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class LabResult(RecordModel):
    """One laboratory result, as the site's lab reported it."""

    test: str
    """CDISC LBTESTCD of a test the protocol collects (``CA``, ``ALT``, ``AST``, ``CREAT``, ``CYSC``, ``HGB``,
    ``PLAT``, ``WBC``, ``ALB`` …)."""
    value: NonNegative
    """The result, a number >= 0, in ``unit``."""
    unit: str
    """The unit as reported: the test's SI unit or one of the site units the protocol lists for it."""
    lln: NonNegative | None = None
    """Lower limit of the site's reference range, in ``unit`` (``null`` when the lab gave none)."""
    uln: NonNegative | None = None
    """Upper limit of the site's reference range, in ``unit`` (``null`` when the lab gave none)."""

    @model_validator(mode="after")
    def _range_in_order(self) -> LabResult:
        if self.lln is not None and self.uln is not None and self.lln > self.uln:
            raise ValueError(f"lln {self.lln} is greater than uln {self.uln}: a reference range runs low to high")
        return self


class Assessments(RecordModel):
    """Screening scores: the derived value, or the item-level form scored by dermtrial (not both)."""

    pasi: Pasi | None = None
    """PASI total 0–72."""
    pasi_items: PasiItems | None = None
    """The PASI form (four regions: erythema, induration, desquamation, area or area_percent), as for
    ``dermtrial score pasi``."""
    bsa_percent: Percent | None = None
    """Body surface area involved, percent 0–100."""
    zung_sas_index: ZungIndex | None = None
    """Zung SAS standard score, a whole number 25–100."""
    zung_sas_items: list[Any] | None = None
    """The 20 SAS answers (1–4, or null when unanswered) in questionnaire order, as ticked."""
    zung_sds_index: ZungIndex | None = None
    """Zung SDS index, a whole number 25–100."""
    zung_sds_items: list[Any] | None = None
    """The 20 SDS answers (1–4, or null when unanswered) in questionnaire order, as ticked."""
    spga: Annotated[Decimal, BeforeValidator(_number(Decimal(0), Decimal(4), whole=True))] | None = None
    """sPGA 0–4, for protocols that use it."""
    dlqi: Annotated[Decimal, BeforeValidator(_number(Decimal(0), Decimal(30), whole=True))] | None = None
    """DLQI total 0–30, for protocols that use it."""
    itch: Annotated[Decimal, BeforeValidator(_number(Decimal(0), Decimal(100)))] | None = None
    """Pruritus score, for protocols that use it."""

    @model_validator(mode="after")
    def _one_form_each(self) -> Assessments:
        for derived, items in (("pasi", "pasi_items"), ("zung_sas_index", "zung_sas_items")):
            if getattr(self, derived) is not None and getattr(self, items) is not None:
                raise ValueError(f"give {derived} or {items}, not both")
        if self.zung_sds_index is not None and self.zung_sds_items is not None:
            raise ValueError("give zung_sds_index or zung_sds_items, not both")
        return self


class Attestation(RecordModel):
    """An investigator's judgement on one criterion."""

    investigator: str = Field(min_length=1)
    """The investigator's name, as delegated (role ``investigator``)."""
    date: IsoDate
    """The date of the judgement."""
    decision: Literal["satisfied", "not_satisfied"]
    """``satisfied``: the candidate passes this criterion (for an exclusion: it does not apply);
    ``not_satisfied``: it fails it (for an exclusion: it applies)."""
    reason: str = Field(min_length=1)
    """The investigator's reason, free text."""


class ScreeningRecord(RecordModel):
    """One candidate's screening data (docs/eligibility.md)."""

    candidate: str | None = None
    """The candidate's screening number or any id; printed back with the verdict."""
    consent_date: IsoDate | None = None
    """Date the written informed consent was signed (age is counted at this date)."""
    baseline_date: IsoDate | None = None
    """Planned baseline (first treatment) date, day 1; washouts are counted back from it."""
    birth_date: IsoDate | None = None
    """Date of birth."""
    other_trial_end_date: IsoDate | None = None
    """End of participation in another clinical trial; ``null``: never took part in one."""
    assessments: Assessments = Field(default_factory=Assessments)
    """Screening scores."""
    labs: list[LabResult] = Field(default_factory=list)
    """Screening laboratory results, one per test."""
    last_use: dict[str, IsoDate | None] | None = None
    """Therapy class → date of last use, or ``null`` when never used; a class left out is unknown."""
    facts: dict[str, FactValue | None] = Field(default_factory=dict)
    """Recorded facts by the protocol's input name (``consent_signed``, ``psoriasis_type`` …); ``null`` is
    unknown."""
    judgements: dict[str, Attestation] = Field(default_factory=dict)
    """Investigator judgements by criterion id (``E5h``, ``E10``)."""

    def given(self, name: str) -> bool:
        """Whether the record states ``name`` (a field set to ``null`` is stated; a field left out is not)."""
        return name in self.model_fields_set


def read_record(data: object) -> ScreeningRecord:
    """Validate one record's JSON data; raises :class:`~dermtrial.errors.InvalidInput` naming each bad field."""
    try:
        return ScreeningRecord.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(problems_from_validation_error(exc)) from None
