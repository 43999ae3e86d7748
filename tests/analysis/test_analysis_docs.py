"""docs/analysis.md names every key of endpoints.json (at every level), every CSV column and every missing-data rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dermtrial.analysis.input import REQUIRED_COLUMNS
from dermtrial.analysis.missing import MISSING_RULES
from tests.analysis._study import FIRST, analyse, frame

DOC = Path(__file__).resolve().parents[2] / "docs" / "analysis.md"


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def test_every_endpoints_json_key_is_documented() -> None:
    study = frame([("A", FIRST, [(1, "20.0"), (85, "5.0")]), ("B", None, [(1, "9.0")])])
    document = DOC.read_text(encoding="utf-8")
    found: set[str] = set()
    for rule in MISSING_RULES:
        found |= keys(analyse(study, rule).endpoints)
    assert {"protocol", "data_sha256", "primary", "per_subject", "hodges_lehmann", "pasi100"} <= found
    assert sorted(k for k in found if f"`{k}`" not in document) == []


def test_every_csv_column_and_rule_is_documented() -> None:
    document = DOC.read_text(encoding="utf-8")
    assert [c for c in REQUIRED_COLUMNS if f"| `{c}` |" not in document] == []
    assert [r for r in MISSING_RULES if f"**`{r}`**" not in document] == []


def test_the_methods_paragraphs_state_each_rule() -> None:
    methods = " ".join(analyse(frame([("A", FIRST, [(1, "20.0"), (85, "5.0")])])).methods)
    for phrase in (
        "day 1",
        "no day 0",
        "on or before the first treatment date",
        "82–88",
        "earlier",
        "Clopper–Pearson",
        "t distribution",
        "Hodges–Lehmann",
        "Wilcoxon",
        "exploratory",
        "Observed cases",
        "SHA-256",
    ):
        assert phrase in methods, phrase
