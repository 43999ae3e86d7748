"""The data dictionary is generated from the column docstrings: every column documented, the page up to date."""

from __future__ import annotations

from pathlib import Path

from dermtrial.store.base import Base
from dermtrial.store.dictionary import attribute_docstrings, dictionary_markdown, undocumented_columns
from dermtrial.store.models import Site

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"


def test_every_column_has_an_attribute_docstring() -> None:
    assert undocumented_columns() == []


def test_the_data_dictionary_is_up_to_date() -> None:
    assert dictionary_markdown() in DOCUMENT.read_text(encoding="utf-8"), "run 'make docs'"


def test_every_table_has_a_section() -> None:
    document = DOCUMENT.read_text(encoding="utf-8")
    assert [name for name in Base.metadata.tables if f"### {name}\n" not in document] == []


def test_docstrings_of_mixins_are_found_and_the_nearest_definition_wins() -> None:
    docs = attribute_docstrings(Site)
    assert docs["version"].startswith("Edit counter")
    assert docs["created_at"] == "When the row was first stored (UTC)."
    assert docs["timezone"].startswith("IANA time zone")
