"""Conditions of the form model evaluated on stored item values, three-valued: true, false or not decidable yet.

A :data:`~dermtrial.forms.model.Condition` names items as ``ITEM`` (the form that holds the condition) or
``FORM.ITEM`` (another form of the same subject). The values come as one mapping per form that has been entered::

    {"DM": {"SEX": "F", "CHILDBEAR": True, "BRTHDAT": "1980-02-01"}}

A comparison whose item has no value is **undecided** (``None``), whether its form is not entered yet or the item
was left empty: the answer is not known. ``present`` / ``absent`` are decided once the form is entered (an empty
item is absent) and undecided before. ``all``, ``any`` and ``not`` follow Kleene's three-valued logic: ``all`` is
false as soon as one part is false, ``any`` true as soon as one part is true, otherwise undecided when a part is.

Example (the pregnancy test of NCT03392311, ``DM.SEX == F and DM.CHILDBEAR == true``):

======================================  ===========
DM values                               applies
======================================  ===========
not entered                             ``None``
``SEX: M``                              ``False``
``SEX: F, CHILDBEAR: false``            ``False``
``SEX: F`` (CHILDBEAR not answered)     ``None``
``SEX: F, CHILDBEAR: true``             ``True``
======================================  ===========

Values compare as the form service stores them: booleans as booleans (``"true"`` / ``"false"`` text is read as
one), numbers exactly (as :class:`~decimal.Decimal`, so ``70.0 == 70``), dates and text as text (ISO dates order
correctly as text).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from dermtrial.forms.model import AllOf, AnyOf, Compare, Condition, Form, NotCondition

FormValues = Mapping[str, Mapping[str, Any]]
"""Item values per entered form: form code → item code → stored value."""


def condition_items(condition: Condition, form: str) -> set[tuple[str, str]]:
    """Every (form code, item code) the condition reads; an unqualified ``ITEM`` belongs to ``form``."""
    if isinstance(condition, Compare):
        return {_reference(condition.item, form)}
    if isinstance(condition, AllOf):
        return {ref for part in condition.all for ref in condition_items(part, form)}
    if isinstance(condition, AnyOf):
        return {ref for part in condition.any for ref in condition_items(part, form)}
    return condition_items(condition.not_, form)


def evaluate_condition(condition: Condition, values: FormValues, *, form: str) -> bool | None:
    """Whether ``condition`` (held by form ``form``) holds on ``values``: True, False or None (not decidable yet)."""
    if isinstance(condition, Compare):
        return _compare(condition, values, form)
    if isinstance(condition, AllOf):
        parts = [evaluate_condition(part, values, form=form) for part in condition.all]
        return False if False in parts else (None if None in parts else True)
    if isinstance(condition, AnyOf):
        parts = [evaluate_condition(part, values, form=form) for part in condition.any]
        return True if True in parts else (None if None in parts else False)
    assert isinstance(condition, NotCondition)
    inner = evaluate_condition(condition.not_, values, form=form)
    return None if inner is None else not inner


def evaluate_applies(form: Form, values: FormValues) -> bool | None:
    """Whether the protocol expects ``form`` of a subject with these values: its ``applies_when`` (always when it
    has none); None when the condition cannot be decided yet (see the module table)."""
    if form.applies_when is None:
        return True
    return evaluate_condition(form.applies_when, values, form=form.code)


def _reference(item: str, form: str) -> tuple[str, str]:
    owner, _, code = item.rpartition(".")
    return (owner or form, code)


def _compare(compare: Compare, values: FormValues, form: str) -> bool | None:
    owner, code = _reference(compare.item, form)
    entered = values.get(owner)
    if entered is None:
        return None
    value = entered.get(code)
    if value in (None, "", []):
        value = None
    if compare.op == "present":
        return value is not None
    if compare.op == "absent":
        return value is None
    if value is None:
        return None
    if compare.op in {"in", "not_in"}:
        assert isinstance(compare.value, list)
        found = any(_equal(value, option) for option in compare.value)
        return found if compare.op == "in" else not found
    target = compare.value
    assert target is not None
    assert not isinstance(target, list)
    if compare.op == "==":
        return _equal(value, target)
    if compare.op == "!=":
        return not _equal(value, target)
    return _order(value, compare.op, target)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return None


def _equal(value: Any, target: str | int | float | bool) -> bool:
    if isinstance(target, bool):
        return _boolean(value) is target
    if isinstance(target, int | float):
        number = _number(value)
        return number is not None and number == Decimal(str(target))
    return str(value) == target


def _order(value: Any, op: str, target: str | int | float | bool) -> bool | None:
    left: Any
    right: Any
    if isinstance(target, int | float) and not isinstance(target, bool):
        left, right = _number(value), Decimal(str(target))
        if left is None:
            return None  # not a number: the comparison cannot be decided
    else:
        left, right = str(value), str(target)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)
