"""The report as one self-contained HTML file: CSS inline, figures embedded as base64 ``data:`` URIs.

The page is built from ``templates/report.html.j2`` with Jinja2 (autoescape on, undefined names an error). This
module turns the :class:`~dermtrial.reports.model.ReportInput` into plain display rows: every number goes through
:mod:`dermtrial.reports.display`, so the HTML and the PDF (rendered from the same HTML) show the same digits.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from dermtrial.reports import display
from dermtrial.reports.figures import FigureFile
from dermtrial.reports.model import ReportInput, Section, Table
from dermtrial.reports.plots import per_subject, responder_rows

BEFORE_ENDPOINTS = ("populations", "disposition")
"""Section ids laid out before the primary endpoint; every other section follows the change from baseline."""


@dataclass(frozen=True)
class Shown:
    """A display table: caption, column headings, rows of strings (the first cell heads its row), a note."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str | None = None


@dataclass(frozen=True)
class ShownFigure:
    """A figure as the page shows it: the data URI and the texts of :class:`FigureFile`."""

    id: str
    src: str
    title: str
    alt: str
    caption: str


@dataclass(frozen=True)
class ShownSection:
    """A section from ``report.sections`` with its tables converted for display and its figures."""

    anchor: str
    title: str
    paragraphs: tuple[str, ...]
    tables: tuple[Shown, ...]
    figures: tuple[ShownFigure, ...] = ()


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("dermtrial.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _css() -> Markup:
    text = (Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8")
    return Markup(text)  # our own stylesheet, shipped with the package


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _table(table: Table) -> Shown:
    return Shown(
        table.title,
        tuple(table.columns),
        tuple(tuple(display.cell(c) for c in row) for row in table.rows),
        table.note,
    )


def _section(section: Section, figures: Sequence[ShownFigure] = ()) -> ShownSection:
    return ShownSection(
        f"sec-{section.id}",
        section.title,
        section.paragraphs,
        tuple(_table(t) for t in section.tables),
        tuple(figures),
    )


def _figure(out_dir: Path, figure: FigureFile) -> ShownFigure:
    encoded = base64.b64encode((out_dir / figure.path).read_bytes()).decode("ascii")
    return ShownFigure(figure.id, f"data:image/png;base64,{encoded}", figure.title, figure.alt, figure.caption)


LISTING_LIMIT = 200
"""Most rows a per-subject listing prints; a larger study's listing says how many there are (endpoints.json holds
every subject)."""


def _limited(rows: list[Mapping[str, Any]], what: str) -> tuple[list[Mapping[str, Any]], str]:
    """The rows in subject-number order (``E9`` before ``E10``), at most :data:`LISTING_LIMIT` of them."""
    rows = sorted(rows, key=lambda row: display.subject_order(row.get("subject")))
    if len(rows) <= LISTING_LIMIT:
        return rows, ""
    return rows[:LISTING_LIMIT], (
        f" Showing the first {LISTING_LIMIT} of {len(rows):,} {what} in subject-number order (endpoints.json lists "
        "every one)."
    )


def primary_tables(endpoints: Mapping[str, Any]) -> tuple[Shown, Shown]:
    """The per-subject table and the summary table of the primary endpoint."""
    listed, more = _limited(per_subject(endpoints), "subjects")
    subjects = Shown(
        "Per-subject PASI at baseline and week 12",
        ("Subject", "Baseline PASI", "Week-12 PASI", "Week-12 study day", "Improvement (%)"),
        tuple(
            (
                str(row.get("subject")),
                display.pasi(row.get("baseline")),
                display.pasi(row.get("week12")),
                display.integer(row.get("week12_study_day")),
                display.percent(row.get("improvement_percent")),
            )
            for row in listed
        ),
        "— : no value (see the list of subjects with missing or out-of-window week-12 values)." + more,
    )
    primary = _mapping(endpoints.get("primary"))
    stats = _mapping(primary.get("improvement_percent"))
    summary = Shown(
        "PASI improvement at week 12 (%): summary",
        ("Statistic", "Value"),
        (
            ("n (computable improvement)", display.integer(primary.get("n"))),
            ("Number missing", display.integer(primary.get("n_missing"))),
            ("Mean", display.percent(stats.get("mean"))),
            ("Standard deviation", display.percent(stats.get("sd"))),
            ("95 % CI of the mean (t)", display.interval(stats.get("ci95"))),
            ("Median", display.percent(stats.get("median"))),
            ("Minimum", display.percent(stats.get("min"))),
            ("Maximum", display.percent(stats.get("max"))),
            *((("Imputed", display.integer(endpoints["n_imputed"])),) if "n_imputed" in endpoints else ()),
        ),
        _missing_note(endpoints),
    )
    return subjects, summary


def _missing_note(endpoints: Mapping[str, Any]) -> str:
    statement = endpoints.get("missing_data_statement")
    rule = endpoints.get("missing_data_rule", "observed")
    if isinstance(statement, str) and statement:
        return f"Missing-data rule: {rule}. {statement}"
    return f"Missing-data rule: {rule}."


def population_text(endpoints: Mapping[str, Any]) -> str | None:
    """The analysed population as endpoints.json names it (a label and n, or a text), or None."""
    population = endpoints.get("population")
    if isinstance(population, str):
        return population
    if isinstance(population, Mapping) and isinstance(population.get("label"), str):
        n = population.get("n")
        return f"{population['label']} (n = {display.integer(n)})" if isinstance(n, int) else population["label"]
    return None


def responders_table(endpoints: Mapping[str, Any]) -> Shown:
    """PASI50 … PASI100: responders, subjects counted, proportion and its exact 95 % CI."""
    return Shown(
        "Responders at week 12",
        ("Response", "Responders", "Of", "Proportion", "95 % CI (Clopper–Pearson)"),
        tuple(
            (
                key.upper(),
                display.integer(row.get("n")),
                display.integer(row.get("of")),
                display.proportion(row.get("proportion")),
                display.interval(row.get("ci95"), "proportion"),
            )
            for key, row in responder_rows(endpoints)
        ),
        f"A responder improved by at least the level's percentage. Missing-data rule: "
        f"{endpoints.get('missing_data_rule', 'observed')}.",
    )


_CHANGE_EXTRAS: dict[str, tuple[str, str]] = {
    "n": ("n (baseline and week 12)", "integer"),
    "wilcoxon_method": ("Wilcoxon method", "text"),
    "wilcoxon_statistic": ("Wilcoxon statistic", "one-decimal"),
    "wilcoxon_n_nonzero": ("Non-zero differences (Wilcoxon)", "integer"),
    "not_computable": ("Not computable", "text"),
}
"""Keys the analysis may add to ``change_from_baseline``: their row heading and display rule."""
_CHANGE_NOTES = ("label", "unit")  # printed in the note under the table
_CHANGE_SILENT = {"mean", "wilcoxon_p", "hodges_lehmann", "exploratory"}


def _generic(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return display.integer(value)
    if isinstance(value, float):
        return display.fixed(value, 1)
    return None


def change_table(endpoints: Mapping[str, Any]) -> Shown:
    """Change from baseline (week 12 − baseline): mean, exploratory Wilcoxon p, Hodges–Lehmann estimate, and what
    else the analysis states about them (n, the Wilcoxon method …)."""
    change = _mapping(endpoints.get("change_from_baseline"))
    rows: list[tuple[str, str]] = [
        ("Mean change (PASI points)", display.pasi(change.get("mean"))),
        ("Wilcoxon signed-rank p (exploratory)", display.p_value(change.get("wilcoxon_p"))),
        ("Hodges–Lehmann estimate (PASI points)", display.pasi(change.get("hodges_lehmann"))),
    ]
    for key, (heading, rule) in _CHANGE_EXTRAS.items():
        value = change.get(key)
        if value is None:
            continue
        shown = display.integer(value) if rule == "integer" else _generic(value)
        if shown is not None:
            rows.append((heading, shown))
    known = _CHANGE_SILENT | set(_CHANGE_EXTRAS) | set(_CHANGE_NOTES)
    for key in sorted(set(change) - known):
        shown = _generic(change[key])
        if shown is not None:
            rows.append((key.replace("_", " ").capitalize(), shown))
    unit, label = change.get("unit"), change.get("label")
    note = (
        "Change = week 12 − baseline (negative = better). No hypothesis test was registered: the p-value is "
        "exploratory."
    )
    if isinstance(unit, str) and isinstance(label, str):
        note = f"Unit: {unit}. Wilcoxon p: {label}."
    return Shown("Change in PASI from baseline to week 12", ("Statistic", "Value"), tuple(rows), note)


def missing_table(endpoints: Mapping[str, Any], pasi: pl.DataFrame, window: tuple[int, int]) -> Shown:
    """Subjects without a computable improvement: why, and their nearest assessment outside the window."""
    low, high = window
    rows: list[tuple[str, ...]] = []
    listed, more = _limited([r for r in per_subject(endpoints) if r.get("improvement_percent") is None], "subjects")
    if listed and {"subject", "study_day", "pasi"} <= set(pasi.columns):
        names = [str(r.get("subject")) for r in listed]
        pasi = pasi.filter(pl.col("subject").cast(pl.String).is_in(names))
    for row in listed:
        subject = str(row.get("subject"))
        baseline, week12 = row.get("baseline"), row.get("week12")
        nearest = _nearest_outside(pasi, subject, window) if week12 is None else None
        given = row.get("not_evaluable") or row.get("reason")
        if isinstance(given, str):
            reason = given
        elif baseline is None:
            reason = "no usable baseline"
        elif baseline == 0:
            reason = "baseline PASI 0: improvement not computable"
        elif week12 is None:
            reason = (
                f"week-12 value out of window (days {low}–{high})"
                if nearest
                else "week-12 value missing (no assessment after day 1)"
            )
        else:
            reason = "improvement not computable"
        rows.append((subject, display.pasi(baseline), display.pasi(week12), reason, nearest or display.MISSING))
    return Shown(
        "Subjects without a computable improvement",
        ("Subject", "Baseline PASI", "Week-12 PASI", "Reason", "Nearest assessment outside the window"),
        tuple(rows),
        more.strip() or None if rows else "Every subject has a computable improvement.",
    )


def _nearest_outside(pasi: pl.DataFrame, subject: str, window: tuple[int, int]) -> str | None:
    if not {"subject", "study_day", "pasi"} <= set(pasi.columns):
        return None
    low, high = window
    target = (low + high) / 2
    rows = pasi.filter(
        (pl.col("subject").cast(pl.String) == subject)
        & pl.col("study_day").is_not_null()
        & pl.col("pasi").is_not_null()
        & (pl.col("study_day") > 1)
    )
    days = [(abs(int(r["study_day"]) - target), int(r["study_day"]), r["pasi"]) for r in rows.iter_rows(named=True)]
    outside = sorted(d for d in days if not low <= d[1] <= high)
    if not outside:
        return None
    _, day, value = outside[0]
    return f"day {day}: PASI {display.pasi(value)}"


def render_html(
    out_dir: Path,
    report: ReportInput,
    figures: Sequence[FigureFile],
    window: tuple[int, int],
) -> str:
    """The report page; the figures are read from ``out_dir`` and embedded."""
    shown = {f.id: _figure(out_dir, f) for f in figures}
    places = ("primary", "responders", "safety")
    by_section = {place: tuple(shown[f.id] for f in figures if f.section == place) for place in places}
    before = tuple(_section(s) for s in report.sections if s.id in BEFORE_ENDPOINTS)
    after_sources = [s for s in report.sections if s.id not in BEFORE_ENDPOINTS]
    safety_ids = [s.id for s in after_sources if s.id == "safety"]
    after = [_section(s, by_section["safety"] if s.id == "safety" else ()) for s in after_sources]
    if by_section["safety"] and not safety_ids:
        after.append(ShownSection("sec-lab-figures", "Laboratory values over time", (), (), by_section["safety"]))
    per_subject_table, summary = primary_tables(report.endpoints)
    contents = [
        *((s.anchor, s.title) for s in before),
        ("sec-primary", "Primary endpoint: PASI improvement at week 12"),
        ("sec-responders", "Responders: PASI50, PASI75, PASI90 and PASI100"),
        ("sec-change", "Change from baseline"),
        *((s.anchor, s.title) for s in after),
        ("sec-methods", "Methods"),
        ("sec-missing", "Subjects with a missing or out-of-window week-12 value"),
    ]
    template = _environment().get_template("report.html.j2")
    return template.render(
        css=_css(),
        report=report,
        data_sha256=str(report.endpoints.get("data_sha256") or display.MISSING),
        missing_rule=str(report.endpoints.get("missing_data_rule", "observed")),
        population=population_text(report.endpoints),
        generated_at=report.generated_at.isoformat() if report.generated_at else None,
        contents=contents,
        before=before,
        after=tuple(after),
        per_subject=per_subject_table,
        summary=summary,
        responders=responders_table(report.endpoints),
        change=change_table(report.endpoints),
        missing=missing_table(report.endpoints, report.pasi, window),
        figures=by_section,
        window=window,
        display_rules=display.RULES,
    )
