"""A lab result to grade is checked field by field: errors name the field, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from dermtrial.protocol.model import LabTest
from dermtrial.safety.lab_request import read_lab_request


@pytest.mark.parametrize(
    ("record", "field", "fragment"),
    [
        ({"test": "XYZ", "value": 1, "unit": "U/L"}, "test", "'XYZ' is not allowed: one of HGB, PLAT"),
        ({"test": "ALT", "value": -1, "unit": "U/L"}, "value", "-1 is not allowed: a number ≥ 0"),
        ({"test": "ALT", "value": 1, "unit": "mmol/L"}, "unit", '"mmol/L" is not allowed'),
        ({"test": "ALT", "value": 1, "unit": "U/L", "lln": 50, "uln": 40}, "lln", "must not exceed uln"),
        ({"test": "ALT", "value": True, "unit": "U/L"}, "value", "True is not allowed"),
        ({"test": "ALT", "value": 1, "unit": "U/L", "albumin": 40}, "albumin", "only with test CA"),
        ({"test": "ALT", "value": 1, "unit": "U/L", "colour": "red"}, "colour", "is not a field"),
    ],
)
def test_bad_input_names_field_value_and_allowed(
    lab_tests: dict[str, LabTest], record: dict[str, Any], field: str, fragment: str
) -> None:
    request, problems = read_lab_request(record, lab_tests, (3,))
    assert request is None
    assert [p.path for p in problems] == [(3, field)]
    assert fragment in problems[0].message


def test_cystatin_c_has_no_ctcae_term_and_is_refused(lab_tests: dict[str, LabTest]) -> None:
    _, problems = read_lab_request({"test": "CYSC", "value": 1, "unit": "mg/L"}, lab_tests)
    assert problems[0].path == ("test",)


def test_a_good_record_is_read(lab_tests: dict[str, LabTest]) -> None:
    request, problems = read_lab_request({"test": "CA", "value": 11, "unit": "mg/dL", "albumin": 35}, lab_tests)
    assert problems == []
    assert request is not None
    assert request.unit == "mg/dL"
