"""Shared fixtures for the safety core: the built-in protocol's laboratory tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from dermtrial.protocol.builtin import load_builtin
from dermtrial.protocol.model import LabTest
from dermtrial.safety import grade_lab


@pytest.fixture(scope="session")
def lab_tests() -> dict[str, LabTest]:
    return {test.code: test for test in load_builtin("NCT03392311").safety.lab_tests}


def grade(tests: dict[str, LabTest], code: str, value: str, unit: str, term: str, **limits: Any) -> int | None:
    """The grade of one term; limits given as strings (``uln="40"``)."""
    numbers = {key: None if item is None else Decimal(item) for key, item in limits.items()}
    return grade_lab(tests[code], Decimal(value), unit, **numbers).grade_of(term)
