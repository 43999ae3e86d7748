"""The grading reference of ``docs/safety.md``, generated from ``data/ctcae_v5_lab.yaml``.

``docs/safety.md`` holds the generated part between two marker lines; ``make docs`` rewrites it
(``python -m dermtrial.safety.reference docs/safety.md``) and a test fails when it is stale or when a graded term
has no entry.
"""

from __future__ import annotations

from dermtrial.safety.criteria import Criteria, Term, criteria

BEGIN = "<!-- BEGIN GENERATED CTCAE GRADING REFERENCE (make docs) -->"
END = "<!-- END GENERATED CTCAE GRADING REFERENCE -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def term_markdown(term: Term, source: str) -> list[str]:
    """One term's section: heading, tests, unit and precision, then one table row per grade."""
    lines = [
        f"#### {term.term}",
        "",
        f"Tests: {', '.join(f'`{t}`' for t in term.tests)} · unit {term.unit} · compared at {term.precision} "
        f"(half-up) · {term.soc} · source: {source}"
        + (" · baseline-aware" if term.baseline_aware else "")
        + (" · albumin-corrected calcium" if term.calcium else ""),
        "",
    ]
    if term.note:
        lines += [_cell(term.note), ""]
    lines += ["| grade | CTCAE v5.0 text | rule dermtrial runs |", "|---|---|---|"]
    for grade in term.grades:
        rules = " or ".join(f"value {rule.describe()}" for rule in grade.rules)
        lines.append(f"| {grade.grade} | {_cell(grade.text)} | {_cell(rules)} |")
    for number, text in sorted(term.clinical.items()):
        lines.append(f"| {number} | {_cell(text)} | clinical context, not decided by the value (`value_only`) |")
    lines.append("")
    return lines


def grading_reference_markdown(rules: Criteria | None = None) -> str:
    """The generated block: every graded term with its CTCAE text, rule, unit and source."""
    rules = rules or criteria()
    lines = [BEGIN, "", f"Criteria version `{rules.version}`; source: {rules.source}.", ""]
    for term in rules.terms:
        lines += term_markdown(term, rules.source)
    lines.append(END)
    return "\n".join(lines)


def splice(document: str) -> str:
    """``document`` with its generated block replaced by the current one."""
    start, end = document.index(BEGIN), document.index(END) + len(END)
    return document[:start] + grading_reference_markdown() + document[end:]


if __name__ == "__main__":
    import sys
    from pathlib import Path

    target = Path(sys.argv[1])
    target.write_text(splice(target.read_text(encoding="utf-8")), encoding="utf-8")
