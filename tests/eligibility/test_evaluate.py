"""The evaluator's three-valued results, judgements, reference ranges and the verdict."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dermtrial.eligibility import ReferenceRange, ScreeningRecord, evaluate_candidate, read_record
from dermtrial.eligibility.evaluate import result_of, verdict_of
from dermtrial.errors import InvalidInput
from tests.eligibility.records import criterion_json, evaluate, protocol, result, set_lab, template


@pytest.mark.parametrize(
    ("criterion_type", "holds", "expected"),
    [
        ("inclusion", True, ("satisfied", None)),
        ("inclusion", False, ("not_satisfied", None)),
        ("inclusion", None, ("unknown", None)),
        ("exclusion", True, ("not_satisfied", True)),  # it applies: excluded
        ("exclusion", False, ("satisfied", False)),
        ("exclusion", None, ("unknown", None)),
    ],
)
def test_result_of_inclusion_and_exclusion(
    criterion_type: str, holds: bool | None, expected: tuple[str, object]
) -> None:
    assert result_of(criterion_type, holds) == expected


@pytest.mark.requirement("CLIN-ELIG-08")
def test_verdict_ineligible_beats_incomplete_beats_eligible() -> None:
    assert verdict_of(["satisfied", "unknown", "not_satisfied"]) == "ineligible"
    assert verdict_of(["satisfied", "unknown"]) == "incomplete"
    assert verdict_of(["satisfied", "satisfied"]) == "eligible"


def test_the_template_is_eligible_and_an_empty_record_is_incomplete() -> None:
    assert evaluate(template()).verdict == "eligible"
    empty = evaluate({})
    assert empty.verdict == "incomplete"
    assert all(c.result == "unknown" for c in empty.criteria)


@pytest.mark.requirement("CLIN-ELIG-07")
def test_a_judgement_without_attestation_is_unknown_and_a_negative_one_excludes() -> None:
    record = template()
    del record["judgements"]["E10"]
    found = criterion_json(record, "E10")
    assert (found["result"], found["applies"], found["evidence"]) == ("unknown", None, {"attestation": None})
    assert evaluate(record).verdict == "incomplete"
    record["judgements"]["E10"] = {
        "investigator": "Dr Lin",
        "date": "2019-07-02",
        "decision": "not_satisfied",
        "reason": "Planned surgery during the treatment period.",
    }
    found = criterion_json(record, "E10")
    assert (found["result"], found["applies"], found["kind"]) == ("not_satisfied", True, "judgement")
    assert found["reason"] == "not_satisfied by Dr Lin on 2019-07-02: Planned surgery during the treatment period."
    assert found["evidence"]["attestation"]["investigator"] == "Dr Lin"


@pytest.mark.requirement("CLIN-ELIG-07")
def test_a_judgement_needs_a_named_investigator_and_a_reason() -> None:
    record = template()
    record["judgements"]["E10"]["investigator"] = ""
    with pytest.raises(InvalidInput, match="investigator"):
        read_record(record)


@pytest.mark.requirement("CLIN-ELIG-09")
def test_relative_limit_without_a_reference_range_is_unknown() -> None:
    record = set_lab(template(), "ALT", 30, "U/L")
    found = criterion_json(record, "E5c")
    assert found["result"] == "unknown"
    assert "no reference range for alt" in found["reason"]


@pytest.mark.requirement("CLIN-ELIG-09")
def test_site_reference_ranges_stand_in_when_the_lab_record_has_none() -> None:
    record = ScreeningRecord.model_validate(set_lab(template(), "ALT", 90, "U/L"))
    ranges = {"ALT": ReferenceRange(lln=Decimal(9), uln=Decimal(50), unit="U/L", source="site GDTCM 2019")}
    evaluation = evaluate_candidate(protocol(), record, reference_ranges=ranges)
    found = next(c.to_json() for c in evaluation.criteria if c.criterion.id == "E5c")
    assert found["result"] == "satisfied"  # 90 ≤ 2 × 50
    assert found["evidence"]["inputs"]["alt"]["reference_range"]["source"] == "site GDTCM 2019"


@pytest.mark.requirement("CLIN-ELIG-09")
def test_the_lab_records_own_range_wins_over_the_site_range() -> None:
    record = ScreeningRecord.model_validate(set_lab(template(), "ALT", 90, "U/L", uln=40))
    ranges = {"ALT": ReferenceRange(lln=None, uln=Decimal(50), unit="U/L")}
    evaluation = evaluate_candidate(protocol(), record, reference_ranges=ranges)
    assert next(c.result for c in evaluation.criteria if c.criterion.id == "E5c") == "not_satisfied"


@pytest.mark.requirement("CLIN-ELIG-08")
def test_missing_data_never_counts_as_a_pass() -> None:
    record = template()
    record["labs"] = []
    found = criterion_json(record, "E5b")
    assert (found["result"], found["applies"]) == ("unknown", None)
    assert found["reason"] == "unknown: no CA result"


def test_one_applying_part_decides_an_exclusion_even_with_another_part_unknown() -> None:
    record = set_lab(template(), "CYSC", None, "mg/L")
    record = set_lab(record, "CREAT", 200, "umol/L", lln=57, uln=111)
    assert result(record, "E5d") == "not_satisfied"


def test_never_used_therapies_meet_every_washout_even_without_a_baseline_date() -> None:
    record = template()
    record["last_use"] = dict.fromkeys(record["last_use"])
    del record["baseline_date"]
    assert result(record, "E9") == "satisfied"
    record["last_use"]["biologic"] = "2019-01-01"
    assert result(record, "E9") == "unknown"


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            {"labs": [{"test": "CA", "value": -1, "unit": "mmol/L"}]},
            "labs[0].value",
            "-1 is not allowed: must be a number >= 0",
        ),
        (
            {"labs": [{"test": "XYZ", "value": 1, "unit": "mmol/L"}]},
            "labs[0].test",
            '"XYZ" is not allowed: unknown test code',
        ),
        ({"labs": [{"test": "CA", "value": 2.3, "unit": "mg"}]}, "labs[0].unit", '"mg" is not allowed: CA results are'),
        ({"birth_date": "2019-02-30"}, "birth_date", '"2019-02-30" is not allowed: expected a date YYYY-MM-DD'),
        ({"colour": "blue"}, "colour", "unknown field"),
        ({"last_use": {"steroids": None}}, "last_use.steroids", "unknown therapy class"),
        (
            {"facts": {"psoriasis_type": "nail"}},
            "facts.psoriasis_type",
            '"nail" is not allowed: expected one of plaque',
        ),
    ],
)
@pytest.mark.requirement("REG-INTEG-03")
def test_bad_input_names_the_field_and_what_is_allowed(change: dict[str, object], path: str, message: str) -> None:
    record = {**template(), **change}
    with pytest.raises(InvalidInput) as caught:
        evaluate(record)
    text = str(caught.value)
    assert path in text
    assert message in text
