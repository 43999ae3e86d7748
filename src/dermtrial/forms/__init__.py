"""Declarative case report forms: item groups of typed items with units, ranges, code lists, conditions and checks."""

from dermtrial.forms.model import (
    AllOf,
    AnyOf,
    Codelist,
    CodelistEntry,
    Compare,
    Condition,
    EditCheck,
    Form,
    Item,
    ItemGroup,
    ItemType,
    NotCondition,
)

__all__ = [
    "AllOf",
    "AnyOf",
    "Codelist",
    "CodelistEntry",
    "Compare",
    "Condition",
    "EditCheck",
    "Form",
    "Item",
    "ItemGroup",
    "ItemType",
    "NotCondition",
]
