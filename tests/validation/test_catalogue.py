"""The requirements catalogue and the test markers agree both ways: every marked id is catalogued, every catalogued
requirement is marked on at least one test. Read statically from the test files' syntax trees (no collection)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.validation.catalogue import load_catalogue, parse_catalogue

TESTS = Path(__file__).resolve().parents[1]


def _is_requirement_marker(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "requirement"
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "mark"
    )


def marked_tests() -> dict[str, list[str]]:
    """Requirement id -> ``file::function`` of every test function decorated with it."""
    found: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if _is_requirement_marker(decorator):
                    assert isinstance(decorator, ast.Call)
                    for arg in decorator.args:
                        assert isinstance(arg, ast.Constant), f"{path}:{node.lineno}: ids must be literal strings"
                        where = f"{path.relative_to(TESTS.parent)}::{node.name}"
                        found.setdefault(str(arg.value), []).append(where)
    return found


def test_every_marked_id_is_in_the_catalogue() -> None:
    known = {req.id for req in load_catalogue()}
    unknown = {ident: where for ident, where in marked_tests().items() if ident not in known}
    assert unknown == {}


def test_every_catalogued_requirement_is_marked_on_at_least_one_test() -> None:
    marked = marked_tests()
    assert [req.id for req in load_catalogue() if req.id not in marked] == []


def test_markers_are_only_decorators_the_static_reader_sees() -> None:
    """A ``pytestmark = …`` or a marker applied another way would escape the two checks above."""
    decorators = sum(len(where) for where in marked_tests().values())
    calls = 0
    for path in TESTS.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls += sum(len(node.args) for node in ast.walk(tree) if _is_requirement_marker(node))
    assert decorators == calls


def test_the_catalogue_has_clinical_rules_and_regulatory_controls_with_sources() -> None:
    catalogue = load_catalogue()
    kinds = {req.kind for req in catalogue}
    assert kinds == {"clinical", "regulatory"}
    assert len({req.id for req in catalogue}) == len(catalogue)
    part11 = [req for req in catalogue if "21 CFR 11" in req.source]
    assert {"REG-AUDIT-01", "REG-ESIG-01", "REG-ESIG-02", "REG-ACCESS-01", "REG-BACKUP-01"} <= {r.id for r in part11}
    trial = [req for req in catalogue if req.source.startswith("TRIAL.md")]
    assert {"CLIN-PASI-01", "CLIN-ELIG-03", "CLIN-ZUNG-02"} <= {r.id for r in trial}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("requirements: 3", "requirements: a list of requirements is needed"),
        ("requirements:\n  - {id: CLIN-X-01, statement: s}", "requirements[0].source: a non-empty text is needed"),
        ("requirements:\n  - {id: clin-x-1, statement: s, source: t}", '"clin-x-1" is not of the form CLIN-AREA-01'),
        (
            "requirements:\n  - {id: REG-A-01, statement: s, source: t}\n  - {id: REG-A-01, statement: s, source: t}",
            '"REG-A-01" appears twice',
        ),
    ],
)
def test_a_malformed_catalogue_is_refused_naming_the_entry_and_field(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_catalogue(text, "requirements.yaml")
    assert message in str(caught.value)
