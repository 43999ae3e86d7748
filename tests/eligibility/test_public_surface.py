"""The eligibility package exports a small, stable surface, and the core imports no adapter or store."""

from __future__ import annotations

import ast
from pathlib import Path

import dermtrial.eligibility as eligibility

PACKAGE = Path(eligibility.__file__).resolve().parent


def test_exports_are_exactly_the_documented_names() -> None:
    assert sorted(eligibility.__all__) == [
        "CompiledCriterion",
        "CriterionResult",
        "Evaluation",
        "ReferenceRange",
        "ScreeningRecord",
        "compile_criteria",
        "evaluate_candidate",
        "flatten_record",
        "read_record",
        "screen_frame",
        "table_columns",
        "template_record",
    ]
    assert all(hasattr(eligibility, name) for name in eligibility.__all__)


def test_the_core_imports_no_store_service_adapter_clock_or_file_io() -> None:
    forbidden = ("dermtrial.store", "dermtrial.services", "dermtrial.cli", "dermtrial.web", "sqlalchemy")
    for module in PACKAGE.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)] + [
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        ]
        assert not [name for name in imported if name.startswith(forbidden)], module.name
        source = module.read_text(encoding="utf-8")
        for call in ("date.today(", "datetime.now(", "open(", "read_parquet(", "read_csv("):
            assert call not in source, f"{module.name} calls {call}"
