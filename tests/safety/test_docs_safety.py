"""docs/safety.md lists every grading rule with its CTCAE text and source, generated from the criteria file."""

from __future__ import annotations

from pathlib import Path

from dermtrial.safety import criteria
from dermtrial.safety.reference import grading_reference_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "safety.md"


def test_every_graded_term_has_its_entry_with_every_grade_text() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = []
    for term in criteria().terms:
        section = text.split(f"#### {term.term}\n", 1)
        if len(section) < 2:
            missing.append(term.term)
            continue
        body = section[1].split("####", 1)[0]
        missing += [f"{term.term} grade {g.grade}" for g in term.grades if g.text.replace("|", "\\|") not in body]
        if criteria().source not in body:
            missing.append(f"{term.term}: source")
    assert missing == []


def test_the_generated_grading_reference_is_up_to_date() -> None:
    assert grading_reference_markdown() in DOC.read_text(encoding="utf-8"), "run 'make docs'"
