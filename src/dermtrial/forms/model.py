"""The form model: what a protocol file declares for every CRF.

A form is item groups of items. An item has a data type, an optional unit (a pint string), a range, a code list, a
required flag and a skip condition; a form carries edit checks. A scored instrument is a form with ``instrument:``
set: its items come from the instrument module and its derived result is stored beside them. The hierarchy follows
CDISC ODM (study event → form → item group → item) so that ODM and SDTM exports are a mapping.

Item references in conditions and checks are ``ITEM`` (same form) or ``FORM.ITEM`` (another form of the subject).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from dermtrial.modeling import Ident, StrictModel, UnitStr

ItemType = Literal[
    "integer",
    "decimal",
    "text",
    "boolean",
    "date",
    "partial_date",
    "datetime",
    "time",
    "choice",
    "multi_choice",
]
"""Data types of a form item. ``partial_date`` accepts ISO 8601 ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""

Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in", "present", "absent"]


class Compare(StrictModel):
    """``{item: SEX, op: "==", value: F}``: true when the item's value compares as stated."""

    item: str
    """The item compared: ``ITEM`` in the same form or ``FORM.ITEM``."""
    op: Operator
    """The comparison; ``present`` and ``absent`` take no value."""
    value: str | int | float | bool | list[str | int | float] | None = None
    """The value compared against (a list for ``in`` / ``not_in``)."""

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Compare:
        if self.op in {"present", "absent"}:
            if self.value is not None:
                raise ValueError(f"operator {self.op} takes no value")
        elif self.op in {"in", "not_in"}:
            if not isinstance(self.value, list):
                raise ValueError(f"operator {self.op} needs a list value")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"operator {self.op} needs a single value")
        return self


class AllOf(StrictModel):
    """``{all: [...]}``: true when every condition holds."""

    all: list[Condition] = Field(min_length=1)
    """The conditions that must all hold."""


class AnyOf(StrictModel):
    """``{any: [...]}``: true when at least one condition holds."""

    any: list[Condition] = Field(min_length=1)
    """The conditions of which one must hold."""


class NotCondition(StrictModel):
    """``{not: {...}}``: true when the condition does not hold."""

    not_: Condition = Field(alias="not")
    """The condition negated."""


_CONDITION_TAGS = {
    "item": "condition[compare]",
    "all": "condition[all]",
    "any": "condition[any]",
    "not": "condition[not]",
}


def _condition_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((tag for key, tag in _CONDITION_TAGS.items() if key in value), None)
    kinds: dict[type, str] = {Compare: "item", AllOf: "all", AnyOf: "any", NotCondition: "not"}
    kind = kinds.get(type(value))
    return _CONDITION_TAGS[kind] if kind else None


Condition = Annotated[
    Annotated[Compare, Tag("condition[compare]")]
    | Annotated[AllOf, Tag("condition[all]")]
    | Annotated[AnyOf, Tag("condition[any]")]
    | Annotated[NotCondition, Tag("condition[not]")],
    Discriminator(
        _condition_kind,
        custom_error_type="condition",
        custom_error_message="a condition is {item, op, value}, {all: [...]}, {any: [...]} or {not: {...}}",
    ),
]
"""A condition over item values (skip conditions, applies-when, edit checks)."""

AllOf.model_rebuild()
AnyOf.model_rebuild()
NotCondition.model_rebuild()


class CodelistEntry(StrictModel):
    """One coded value."""

    code: str
    """The stored code (CDISC submission value where one exists)."""
    label: str
    """What the screen shows."""


class Codelist(StrictModel):
    """A named list of allowed codes, shared by items."""

    id: Ident
    """The code list's name, referred to by items."""
    entries: list[CodelistEntry] = Field(min_length=1)
    """The allowed codes in display order."""
    source: str | None = None
    """Where the list comes from (e.g. CDISC CT package and version)."""


class Item(StrictModel):
    """One question on a form."""

    id: Ident
    """The item code, unique within the form (CDISC variable-like, e.g. ``WEIGHT``)."""
    label: str
    """The question as shown."""
    type: ItemType
    """The data type."""
    unit: UnitStr | None = None
    """The unit of a numeric value, or ``null`` when the value has none."""
    units_allowed: list[UnitStr] = Field(default_factory=list)
    """Other units a site may enter (converted to ``unit`` on entry), e.g. mg/dL for calcium in mmol/L."""
    min: float | None = None
    """The smallest value allowed (inclusive)."""
    max: float | None = None
    """The largest value allowed (inclusive)."""
    decimals: int | None = Field(default=None, ge=0, le=6)
    """How many decimals a numeric value may have."""
    codelist: str | None = None
    """For ``choice`` / ``multi_choice``: the id of a code list of the protocol."""
    required: bool = False
    """A value (or 'not done' with a reason) is needed before the form can be complete."""
    show_when: Condition | None = None
    """Ask the item only when this condition holds (a skip condition); otherwise it is not applicable."""
    sdtm: str | None = None
    """Where the value goes in SDTM, e.g. ``VS.VSORRES[WEIGHT]`` (informative, used by the exports)."""

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        numeric = self.type in {"integer", "decimal"}
        if not numeric and (self.min is not None or self.max is not None or self.unit is not None):
            raise ValueError(f"a {self.type} item cannot have min, max or unit")
        choice = self.type in {"choice", "multi_choice"}
        if choice and self.codelist is None:
            raise ValueError(f"a {self.type} item needs a codelist")
        if not choice and self.codelist is not None:
            raise ValueError(f"a {self.type} item cannot have a codelist")
        if self.units_allowed and self.unit is None:
            raise ValueError("units_allowed needs a unit to convert to")
        return self


class ItemGroup(StrictModel):
    """Items asked together; a repeating group is a table (one row per lab test, per medication …)."""

    id: Ident
    """The group code, unique within the form."""
    label: str | None = None
    """A heading for the group."""
    repeating: bool = False
    """Whether the group may be filled several times on one form."""
    items: list[Item] = Field(min_length=1)
    """The items of the group."""


EditCheckKind = Literal["condition", "date_not_before", "required_if"]


class EditCheck(StrictModel):
    """A rule checked on entry; a failed check opens a query (it never blocks or changes the data)."""

    id: Ident
    """The check's code, unique within the form."""
    kind: EditCheckKind
    """``condition``: ``when`` must hold; ``date_not_before``: ``item`` is on or after ``reference``;
    ``required_if``: ``item`` must have a value when ``when`` holds."""
    message: str
    """The query text shown to the site."""
    item: str | None = None
    """The item checked (``date_not_before``, ``required_if``)."""
    reference: str | None = None
    """The earlier date (``date_not_before``), e.g. ``IC.ICDAT`` for "no procedure before consent"."""
    when: Condition | None = None
    """The condition (``condition``, ``required_if``)."""

    @model_validator(mode="after")
    def _fields_for_kind(self) -> EditCheck:
        needs = {
            "condition": ("when",),
            "date_not_before": ("item", "reference"),
            "required_if": ("item", "when"),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} check needs {', '.join(missing)}")
        return self


FormKind = Literal["crf", "instrument", "log"]


class Form(StrictModel):
    """A case report form (or a scored instrument) of the protocol."""

    code: Ident
    """The form code, unique in the protocol (``DM``, ``VS``, ``PASI`` …)."""
    version: str = "1"
    """The form's version; a changed form gets a new version and old data keeps the version it was entered on."""
    title: str
    """The form's title as shown."""
    instrument: str | None = None
    """For a scored instrument: its name in :mod:`dermtrial.instruments` (``pasi``, ``zung-sds`` …). The items
    then come from the instrument and ``item_groups`` may be left out."""
    log: bool = False
    """A log form is filled any number of times, not per visit (adverse events, concomitant medications)."""
    applies_when: Condition | None = None
    """The form is expected only when this holds (e.g. a pregnancy test for women of child-bearing potential)."""
    item_groups: list[ItemGroup] = Field(default_factory=list)
    """The item groups in order."""
    edit_checks: list[EditCheck] = Field(default_factory=list)
    """Checks run on entry."""

    @model_validator(mode="after")
    def _has_items(self) -> Form:
        if self.instrument is None and not self.item_groups:
            raise ValueError("a form without an instrument needs item_groups")
        return self

    def item_ids(self) -> set[str]:
        """Every item code of the form."""
        return {item.id for group in self.item_groups for item in group.items}
