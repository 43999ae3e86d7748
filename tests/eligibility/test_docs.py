"""docs/eligibility.md documents every field of the screening record, every table column and the output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dermtrial.eligibility import table_columns, template_record
from dermtrial.eligibility.record import Assessments, Attestation, LabResult, ScreeningRecord
from tests.eligibility.records import PROTOCOL_IDS, protocol

DOC = (Path(__file__).resolve().parents[2] / "docs" / "eligibility.md").read_text(encoding="utf-8")


def documented_name(path: list[str]) -> str:
    """``["labs", "0", "unit"]`` → ``labs[].unit``; ``["judgements", "E10", "reason"]`` → ``judgements.<id>.reason``."""
    if path[0] == "labs" and len(path) > 1:
        return "labs[]." + ".".join(path[2:]) if len(path) > 2 else "labs"
    if path[0] == "judgements" and len(path) > 1:
        return "judgements.<id>." + ".".join(path[2:]) if len(path) > 2 else "judgements"
    return ".".join(path)


def fields(data: Any, path: list[str]) -> list[list[str]]:
    out = [path] if path else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += fields(value, [*path, key])
    elif isinstance(data, list) and path == ["labs"]:
        for index, value in enumerate(data):
            out += fields(value, [*path, str(index)])
    return out


@pytest.mark.parametrize("registry_id", PROTOCOL_IDS)
def test_every_field_of_the_template_is_documented(registry_id: str) -> None:
    names = {documented_name(path) for path in fields(template_record(protocol(registry_id)), [])}
    missing = sorted(name for name in names if f"| `{name}` |" not in DOC)
    assert missing == []


def test_every_field_of_the_record_model_is_documented() -> None:
    names = [*ScreeningRecord.model_fields, *(f"assessments.{n}" for n in Assessments.model_fields)]
    names += [f"labs[].{n}" for n in LabResult.model_fields]
    names += [f"judgements.<id>.{n}" for n in Attestation.model_fields]
    assert [name for name in names if f"| `{name}` |" not in DOC] == []


@pytest.mark.parametrize("registry_id", PROTOCOL_IDS)
def test_every_table_column_is_documented(registry_id: str) -> None:
    def pattern(name: str) -> str:
        parts = name.split(".")
        if parts[0] == "labs":
            return f"`labs.<CODE>.{parts[2]}`"
        if parts[0] == "judgements":
            return f"`judgements.<id>.{parts[2]}`"
        if parts[0] in {"last_use", "facts"}:
            return f"`{parts[0]}.<{'class' if parts[0] == 'last_use' else 'name'}>`"
        return f"`{name}`"

    columns = {pattern(column.name) for column in table_columns(protocol(registry_id))}
    assert sorted(c for c in columns if c not in DOC) == []


def test_every_output_field_is_documented() -> None:
    for name in (
        "candidate",
        "verdict",
        "criteria[].id",
        "criteria[].type",
        "criteria[].kind",
        "criteria[].result",
        "criteria[].applies",
        "criteria[].reason",
        "criteria[].evidence.inputs",
        "criteria[].evidence.comparisons",
        "criteria[].evidence.attestation",
    ):
        assert f"| `{name}` |" in DOC, name
    for column in ("row", "candidate", "verdict", "not_satisfied", "unknown"):
        assert f"| `{column}` |" in DOC, column
