"""A complete screening record of an eligible candidate, built from the protocol (``dermtrial eligibility template``).

Every field the protocol's inputs read is filled in: dates, scores, one result per lab test in its SI unit with a
reference range (illustrative values from ``data/template.yaml``), the last use of every therapy class, every recorded
fact and an attestation for every investigator judgement. Facts are chosen by evaluating the record: each fact starts
at its first allowed value (``false`` for a yes/no item, the first code of a code list) and is moved to the next
allowed value while a criterion that reads it is not satisfied, so another protocol's facts need no code. The result
is checked: a template that is not eligible is a bug (``ValueError``).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from typing import Any

import yaml

from dermtrial.eligibility.evaluate import compile_criteria, evaluate_candidate
from dermtrial.eligibility.inputs import fact_inputs
from dermtrial.eligibility.record import ScreeningRecord
from dermtrial.protocol.model import Protocol

_FALLBACK_LAB = {"value": 1.0, "lln": 0.5, "uln": 2.0}


@cache
def _data() -> dict[str, Any]:
    text = resources.files("dermtrial.eligibility").joinpath("data", "template.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _choices(item_type: str, codes: list[str] | None) -> list[Any]:
    if item_type == "boolean":
        return [False, True]
    if codes:
        return list(codes)
    return [0] if item_type in {"integer", "decimal"} else ["not applicable"]


def template_record(protocol: Protocol) -> dict[str, Any]:
    """The template as JSON-ready data (see the module docstring)."""
    data = _data()
    baseline = dt.date.fromisoformat(data["baseline_date"])
    tests = {test.code: test for test in protocol.safety.lab_tests}
    needed = [spec.source.lab for spec in protocol.eligibility.inputs if spec.source.lab is not None]
    if protocol.settings.eligibility_calcium == "albumin_corrected" and "ALB" in tests:
        needed.append("ALB")
    labs = [
        {"test": code, **data["labs"].get(code, _FALLBACK_LAB), "unit": tests[code].si_unit}
        for code in dict.fromkeys(needed)
    ]
    therapy = next((c for c in protocol.codelists if c.id == "therapy_class"), None)
    before = data["last_use_days_before_baseline"]
    last_use = {
        entry.code: (baseline - dt.timedelta(days=before[entry.code])).isoformat() if entry.code in before else None
        for entry in (therapy.entries if therapy else [])
    }
    facts_spec = fact_inputs(protocol)
    options = {name: _choices(*spec) for name, spec in facts_spec.items()}
    facts: dict[str, Any] = {name: choices[0] for name, choices in options.items()}
    judgements = {
        criterion.id: {
            "investigator": data["investigator"],
            "date": data["consent_date"],
            "decision": "satisfied",
            "reason": "No other condition makes the candidate unsuitable.",
        }
        for criterion in [*protocol.eligibility.inclusion, *protocol.eligibility.exclusion]
        if criterion.kind == "investigator_judgement"
    }
    record: dict[str, Any] = {
        "candidate": data["candidate"],
        "consent_date": data["consent_date"],
        "baseline_date": data["baseline_date"],
        "birth_date": data["birth_date"],
        "other_trial_end_date": None,
        "assessments": dict(data["assessments"]),
        "labs": labs,
        "last_use": last_use,
        "facts": facts,
        "judgements": judgements,
    }
    criteria = compile_criteria(protocol)
    for _ in range(sum(len(choices) for choices in options.values()) + 1):
        evaluation = evaluate_candidate(protocol, ScreeningRecord.model_validate(record), criteria=criteria)
        failing = [c for c in evaluation.criteria if c.result != "satisfied" and c.criterion.rule is not None]
        if not failing:
            return record
        names = [name for name in sorted(failing[0].criterion.rule.inputs()) if name in options]  # type: ignore[union-attr]
        movable = [name for name in names if options[name].index(facts[name]) + 1 < len(options[name])]
        if not movable:
            break
        facts[movable[0]] = options[movable[0]][options[movable[0]].index(facts[movable[0]]) + 1]
    raise ValueError(f"no eligible template for {protocol.identity.registry_id}: check data/template.yaml")
