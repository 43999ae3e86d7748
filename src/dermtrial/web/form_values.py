"""A submitted HTML form as a protocol form's ``item_values`` (text as typed; the service checks every value).

Field names are the item codes (``PULSE``), a repeating group's ``GROUP.<row>.ITEM`` and an instrument's dotted codes
(``head.erythema``). Empty fields are left out (not entered); ``true``/``false`` become booleans; a multi-choice item
is the list of ticked codes; an instrument's answers become numbers and booleans as typed (the scorer takes them
so). Nothing is judged here: a value out of range is passed on and refused by
:func:`dermtrial.services.forms.save_form`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dermtrial.forms.model import Form, Item
from dermtrial.web.instrument_entry import typed


def _typed(item: Item, value: str) -> Any:
    if item.type == "boolean":
        return {"true": True, "false": False}.get(value, value)
    return value


def form_values(
    form: Form, fields: Sequence[tuple[str, str]], instrument_items: Sequence[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(item_values, shown)``: what is saved, and the same values for showing the form again after an error."""
    entered = [(name, value.strip()) for name, value in fields if value.strip() != ""]
    values: dict[str, Any] = {}
    if instrument_items is not None:
        known = set(instrument_items)
        for name, value in entered:
            if name in known:
                values[name] = typed(value)
        return values, dict(values)
    flat = {item.id: item for group in form.item_groups if not group.repeating for item in group.items}
    groups = {g.id: {item.id: item for item in g.items} for g in form.item_groups if g.repeating}
    rows: dict[str, dict[int, dict[str, Any]]] = {}
    for name, value in entered:
        if name in flat:
            item = flat[name]
            if item.type == "multi_choice":
                values.setdefault(name, []).append(value)
            else:
                values[name] = _typed(item, value)
            continue
        parts = name.split(".")
        if len(parts) == 3 and parts[0] in groups and parts[1].isdigit() and parts[2] in groups[parts[0]]:
            item = groups[parts[0]][parts[2]]
            rows.setdefault(parts[0], {}).setdefault(int(parts[1]), {})[parts[2]] = _typed(item, value)
    for group, numbered in rows.items():
        values[group] = [numbered[i] for i in sorted(numbered)]
    return values, dict(values)
