"""One laboratory result to grade, read and checked from a JSON-like object (``dermtrial grade lab``, services).

Fields: ``test`` (LBTESTCD), ``value`` (number ≥ 0), ``unit`` (one the protocol allows for the test), ``lln`` /
``uln`` / ``baseline`` (number ≥ 0 or null, in the result's unit; lln ≤ uln) and, for ``CA`` only, ``albumin`` (g/L)
for the protocol's calcium correction. Every fault is a :class:`~dermtrial.errors.Problem` naming the field, the
value and what is allowed; the whole object is checked before anything is graded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dermtrial.eligibility.labs import check_unit
from dermtrial.errors import Path, Problem
from dermtrial.protocol.model import LabTest, Settings
from dermtrial.safety.criteria import criteria
from dermtrial.safety.grade_lab import LabGrade, grade_lab

FIELDS = ("test", "value", "unit", "lln", "uln", "baseline", "albumin")


@dataclass(frozen=True)
class LabRequest:
    """A checked result: value, range and baseline in ``unit``; albumin in g/L."""

    test: LabTest
    value: Decimal
    unit: str
    lln: Decimal | None = None
    uln: Decimal | None = None
    baseline: Decimal | None = None
    albumin: Decimal | None = None


def gradable_tests(tests: Mapping[str, LabTest]) -> list[str]:
    """The protocol's tests that have CTCAE criteria, in criteria order."""
    return [code for code in criteria().tests() if code in tests]


def _number(record: Mapping[str, Any], key: str, path: Path, problems: list[Problem], required: bool) -> Decimal | None:
    value = record.get(key)
    if value is None:
        if required:
            problems.append(Problem((*path, key), "is required: a number ≥ 0", value=None))
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        problems.append(Problem((*path, key), f"{value!r} is not allowed: a number ≥ 0", value=value))
        return None
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite() or number < 0:
        problems.append(Problem((*path, key), f"{value} is not allowed: a number ≥ 0", value=value))
        return None
    return number


def read_lab_request(
    record: Any, tests: Mapping[str, LabTest], path: Path = ()
) -> tuple[LabRequest | None, list[Problem]]:
    """Check one object; return the request (None when any problem) and the problems, in field order."""
    if not isinstance(record, Mapping):
        return None, [Problem(path, f"{record!r} is not allowed: an object with {', '.join(FIELDS)}", value=record)]
    problems: list[Problem] = []
    for key in record:
        if key not in FIELDS:
            problems.append(Problem((*path, key), f"is not a field: allowed are {', '.join(FIELDS)}", value=key))
    code = record.get("test")
    allowed = gradable_tests(tests)
    test = tests.get(code) if isinstance(code, str) and code in allowed else None
    if test is None:
        problems.append(Problem((*path, "test"), f"{code!r} is not allowed: one of {', '.join(allowed)}", value=code))
    value = _number(record, "value", path, problems, required=True)
    unit = record.get("unit")
    if not isinstance(unit, str):
        problems.append(Problem((*path, "unit"), f"{unit!r} is not allowed: a unit string", value=unit))
    elif test is not None and (message := check_unit(test, unit)) is not None:
        problems.append(Problem((*path, "unit"), message, value=unit))
    lln = _number(record, "lln", path, problems, required=False)
    uln = _number(record, "uln", path, problems, required=False)
    if lln is not None and uln is not None and lln > uln:
        problems.append(Problem((*path, "lln"), f"{lln} is not allowed: lln must not exceed uln ({uln})", value=lln))
    baseline = _number(record, "baseline", path, problems, required=False)
    albumin = _number(record, "albumin", path, problems, required=False)
    if albumin is not None and code != "CA":
        problems.append(Problem((*path, "albumin"), "is allowed only with test CA (g/L)", value=albumin))
    if problems or test is None or value is None or not isinstance(unit, str):
        return None, problems
    return LabRequest(test, value, unit, lln, uln, baseline, albumin), []


def grade_request(request: LabRequest, settings: Settings) -> LabGrade:
    """Grade a checked request with the protocol's settings (calcium correction, hemoglobin reference)."""
    return grade_lab(
        request.test,
        request.value,
        request.unit,
        lln=request.lln,
        uln=request.uln,
        baseline=request.baseline,
        albumin_g_per_l=request.albumin,
        calcium_correction_name=settings.calcium_correction,
        hemoglobin_increased_reference=settings.hemoglobin_increased_reference,
    )
