"""Every criterion of both built-in protocols is reachable as met, not met and unknown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dermtrial.eligibility.inputs import INSTRUMENT_FIELDS
from dermtrial.eligibility.rules import compile_rule
from dermtrial.protocol.eligibility import Input
from tests.eligibility.records import PROTOCOL_IDS, protocol, result, set_lab, template

Record = dict[str, Any]


def _fact(name: str, value: object) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        record["facts"][name] = value

    return change


def _lab(test: str, value: float, unit: str, **range_: float) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        set_lab(record, test, value, unit, **range_)

    return change


def _set(**values: Any) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        for key, value in values.items():
            section, _, field = key.partition("__")
            if field:
                record[section][field] = value
            else:
                record[section] = value

    return change


def _judged_unsuitable(criterion: str) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        record["judgements"][criterion] = {
            "investigator": "Dr Chen Wei",
            "date": "2019-07-02",
            "decision": "not_satisfied",
            "reason": "Unsuitable.",
        }

    return change


NOT_MET: dict[str, Callable[[Record], None]] = {
    "I1": _set(assessments__pasi=8.0, assessments__bsa_percent=6),
    "I2": _set(birth_date="2005-01-01"),
    "I3": _fact("consent_signed", False),
    "E1": _fact("psoriasis_type", "guttate"),
    "E2": _fact("erythroderma_tendency", True),
    "E3": _fact("pregnancy_lactation", True),
    "E4a": _set(assessments__zung_sds_index=60),
    "E4b": _fact("other_psychiatric", True),
    "E5a": _fact("infection", True),
    "E5b": _lab("CA", 3.1, "mmol/L"),
    "E5c": _lab("AST", 100, "U/L", uln=40),
    "E5d": _lab("CYSC", 1.5, "mg/L", uln=1.03),
    "E5e": _lab("HGB", 100, "g/L", lln=130, uln=175),
    "E5f": _lab("PLAT", 50, "10^9/L"),
    "E5g": _lab("WBC", 1.5, "10^9/L"),
    "E5h": _judged_unsuitable("E5h"),
    "E6": _fact("tumour_markers", True),
    "E7": _fact("allergy", True),
    "E8": _fact("in_other_trial", True),
    "E9": _set(last_use__biologic="2019-06-01"),
    "E10": _judged_unsuitable("E10"),
}


def _remove(record: Record, spec: Input) -> None:
    """Take one input out of the record (what the record no longer says is unknown)."""
    source = spec.source
    if source.lab:
        set_lab(record, source.lab, None, "")
    elif source.instrument:
        for field in INSTRUMENT_FIELDS[source.instrument]:
            record["assessments"].pop(field or "", None)
    elif source.age_at:
        record.pop("birth_date")
    elif source.days_since_last_use:
        for code in source.days_since_last_use:
            record["last_use"].pop(code)
    elif source.days_since_other_trial:
        record.pop("other_trial_end_date")
    else:
        record["facts"].pop(spec.name)


def _cases() -> list[tuple[str, str]]:
    return [
        (registry_id, criterion.id)
        for registry_id in PROTOCOL_IDS
        for criterion in [*protocol(registry_id).eligibility.inclusion, *protocol(registry_id).eligibility.exclusion]
    ]


@pytest.mark.parametrize(("registry_id", "criterion_id"), _cases())
def test_criterion_reaches_met_not_met_and_unknown(registry_id: str, criterion_id: str) -> None:
    on = protocol(registry_id)
    assert result(template(registry_id), criterion_id, on) == "satisfied"

    assert criterion_id in NOT_MET, f"add a not-met case for {criterion_id}"
    failing = template(registry_id)
    NOT_MET[criterion_id](failing)
    assert result(failing, criterion_id, on) == "not_satisfied"

    unknown = template(registry_id)
    criterion = next(c for c in [*on.eligibility.inclusion, *on.eligibility.exclusion] if c.id == criterion_id)
    if criterion.kind == "investigator_judgement":
        unknown["judgements"].pop(criterion_id)
    else:
        assert criterion.rule is not None
        read = compile_rule(criterion.rule, on).inputs()
        for spec in on.eligibility.inputs:
            if spec.name in read:
                _remove(unknown, spec)
    assert result(unknown, criterion_id, on) == "unknown"
