"""Screening records for the eligibility tests: the protocol's own template, changed one field at a time."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from dermtrial.eligibility import Evaluation, evaluate_candidate, read_record, template_record
from dermtrial.protocol import Protocol, builtin_ids, load_builtin

PROTOCOL_IDS = builtin_ids()


@cache
def protocol(registry_id: str = "NCT03392311") -> Protocol:
    return load_builtin(registry_id)


def with_settings(registry_id: str = "NCT03392311", **settings: Any) -> Protocol:
    """The built-in protocol with some settings changed, as a protocol file would state them."""
    base = protocol(registry_id)
    return base.model_copy(update={"settings": base.settings.model_copy(update=settings)})


@cache
def _template(registry_id: str) -> str:
    return json.dumps(template_record(protocol(registry_id)))


def template(registry_id: str = "NCT03392311") -> dict[str, Any]:
    """A fresh copy of the eligible template (JSON data)."""
    return copy.deepcopy(json.loads(_template(registry_id)))


def set_lab(
    record: dict[str, Any], test: str, value: float | None, unit: str, **range_: float | None
) -> dict[str, Any]:
    """Replace (or, with value None, remove) the record's result for ``test``."""
    record["labs"] = [lab for lab in record["labs"] if lab["test"] != test]
    if value is not None:
        record["labs"].append({"test": test, "value": value, "unit": unit, **range_})
    return record


def evaluate(record: dict[str, Any], on: Protocol | None = None) -> Evaluation:
    return evaluate_candidate(on or protocol(), read_record(record))


def result(record: dict[str, Any], criterion: str, on: Protocol | None = None) -> str:
    """The result of one criterion for this record."""
    evaluation = evaluate(record, on)
    return next(c.result for c in evaluation.criteria if c.criterion.id == criterion)


def criterion_json(record: dict[str, Any], criterion: str, on: Protocol | None = None) -> dict[str, Any]:
    evaluation = evaluate(record, on)
    return next(c.to_json() for c in evaluation.criteria if c.criterion.id == criterion)
