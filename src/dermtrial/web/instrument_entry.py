"""The scored instruments entered on their form page (BSA, sPGA, DLQI, itch): their fields and their live score.

Nothing of a clinical rule is here. The fields come from the instrument's metadata (codes, labels in both languages,
the allowed values in words) and from its strict input model's JSON schema (whole number or decimal, bounds, the
words a code may take such as ``not_relevant``); the score is the instrument's own
(:meth:`dermtrial.instruments.Instrument.validate_and_score`) on the items entered so far. An item not yet entered is
given to the scorer as unanswered (null); while the scorer cannot run only because items are still missing, the
answer says so and lists them. PASI has its own screen and route; the Zung scales are answered by the patient and
show no score while they are answered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from dermtrial.errors import InvalidInput, Problem, format_path, problems_from_validation_error
from dermtrial.instruments import INSTRUMENTS
from dermtrial.services.analysis_data import VALUE_KEYS

#: The instruments scored live by ``POST /api/v1/scores/{instrument}`` and entered on the generic form page.
LIVE: tuple[str, ...] = ("bsa", "spga", "dlqi", "itch")

_WHOLE = re.compile(r"^-?\d{1,9}$")
_DECIMAL = re.compile(r"^-?\d{1,9}\.\d{1,9}$")


@dataclass(frozen=True)
class InstrumentField:
    """One input of an instrument form: its code, label, allowed values in words, kind and bounds."""

    code: str
    label: str
    allowed: str
    kind: str
    """``integer``, ``number``, ``boolean`` or ``choice`` (a whole number or one of ``words``)."""
    minimum: float | None
    maximum: float | None
    words: tuple[str, ...]

    @property
    def choices(self) -> list[str]:
        """The values a ``choice`` offers: the whole numbers of the range, then the words."""
        low, high = int(self.minimum or 0), int(self.maximum or 0)
        return [str(n) for n in range(low, high + 1)] + list(self.words)


def _property(schema: Mapping[str, Any], code: str) -> Mapping[str, Any]:
    node: Mapping[str, Any] = schema
    for part in code.split("."):
        node = node["properties"][part]
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _variants(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "anyOf" in node:
        return [v for option in node["anyOf"] for v in _variants(option)]
    kinds = node.get("type")
    if isinstance(kinds, list):
        return [{**node, "type": kind} for kind in kinds]
    return [node]


def instrument_fields(instrument: str, language: str) -> list[InstrumentField]:
    """The inputs of ``instrument``'s form in metadata order, labelled in ``language`` (``en`` or ``zh-Hans``)."""
    entry = INSTRUMENTS[instrument]
    schema = entry.input_model.model_json_schema()
    fields: list[InstrumentField] = []
    for item in entry.metadata.items:
        variants = _variants(_property(schema, item.code))
        types = {str(v.get("type")) for v in variants if "type" in v}
        words = tuple(str(w) for v in variants for w in ([v["const"]] if "const" in v else v.get("enum", [])))
        bounded = next((v for v in variants if v.get("type") in ("integer", "number")), {})
        if words:
            kind = "choice"
        elif "boolean" in types:
            kind = "boolean"
        elif "integer" in types:
            kind = "integer"
        else:
            kind = "number"
        label = item.label_zh if language == "zh-Hans" else item.label_en
        fields.append(
            InstrumentField(item.code, label, item.allowed, kind, bounded.get("minimum"), bounded.get("maximum"), words)
        )
    return fields


def typed(value: Any) -> Any:
    """A typed value as the scorer takes it: ``"2"`` → 2, ``"12.5"`` → 12.5, ``"true"`` → True; words stay."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if _WHOLE.match(text):
        return int(text)
    if _DECIMAL.match(text):
        return float(text)
    return {"true": True, "false": False}.get(text, text)


def score_entry(instrument: str, item_values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"instrument", "complete", "value", "not_computable", "missing", "result", "version"}`` of the items so far.

    ``value`` is the instrument's analysed value (BSA %, sPGA, DLQI total, itch score) or None with the reason in
    ``not_computable``; ``complete`` says whether there is a value; ``missing`` lists the items not entered.

    Raises :class:`InvalidInput` for an unknown item or a value the instrument refuses (naming the item and what is
    allowed); items only missing are not an error.
    """
    entry = INSTRUMENTS[instrument]
    codes = [item.code for item in entry.metadata.items]
    unknown = [code for code in item_values if code not in codes]
    if unknown:
        raise InvalidInput([Problem(("item_values", unknown[0]), f"not an item of {instrument}: {', '.join(codes)}")])
    given = {code: typed(value) for code, value in item_values.items() if value not in (None, "")}
    missing = [code for code in codes if code not in given]
    answer: dict[str, Any] = {"instrument": instrument, "complete": False, "value": None, "not_computable": None,
                              "missing": missing, "result": None, "version": None}  # fmt: skip
    if not given:
        answer["not_computable"] = "nothing entered yet"
        return answer
    data = entry.input_from_form_items(given)
    for code in missing:  # unanswered items as the models spell them: null
        *parents, leaf = code.split(".")
        target: Any = data
        for part in parents:
            target = target.setdefault(part, {})
            if target is None:  # the whole group is already null (e.g. DLQI q7 with neither part entered)
                break
        else:
            target.setdefault(leaf, None)
    try:
        result = entry.validate_and_score(data).to_json()
    except ValidationError as exc:
        problems = problems_from_validation_error(exc, prefix=("item_values",))
        pending = {f"item_values.{code}" for code in missing}
        refused = [p for p in problems if format_path(p.path) not in pending]
        if refused:
            raise InvalidInput(refused) from None
        answer["not_computable"] = "not every item is entered yet"
        return answer
    value = result.get(VALUE_KEYS[instrument])
    reason = result.get("not_computable")
    answer.update(
        complete=value is not None,
        value=value,
        not_computable=reason if value is None else None,
        result=result,
        version=result.get("version"),
    )
    return answer
