"""The sections of the database report (``dermtrial report``): data source, populations, disposition, subjects,
secondary endpoints and safety, laid out from the study tables (:mod:`dermtrial.analysis.study_tables`).

Nothing here computes a clinical result: the tables arrive derived, and this module only chooses rows, orders columns
and rounds for display with the rules of :mod:`dermtrial.reports.display` (half away from zero; PASI, BSA and
percentages to 1 decimal). Summaries of the secondary parameters (n, mean, SD, median) are descriptive statistics of
the analysed rows (``analysis_flag``) of the primary population.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from dermtrial.analysis.adam import PARAMETERS
from dermtrial.analysis.populations import members, population_column
from dermtrial.analysis.study_tables import StudyTables
from dermtrial.protocol.model import Protocol
from dermtrial.reports import display
from dermtrial.reports.model import Cell, DataCutInfo, Section, Table

LISTING_LIMIT = 200
"""Listings (subjects, SAEs, infusion reactions, ointment) print at most this many rows; the note says how many
there are."""
NAMES_LIMIT = 30
"""A population lists its subjects by name only up to this size."""


def _capped(
    rows: Sequence[tuple[Cell, ...]], note: str | None = None
) -> tuple[tuple[tuple[Cell, ...], ...], str | None]:
    if len(rows) <= LISTING_LIMIT:
        return tuple(rows), note
    more = f"The first {LISTING_LIMIT} of {len(rows)} rows are shown."
    return tuple(rows[:LISTING_LIMIT]), more if note is None else f"{note} {more}"


@dataclass(frozen=True)
class DataSource:
    """Where the data came from: live, or a verified data cut; and the sites read."""

    sites: tuple[str, ...]
    data_cut: DataCutInfo | None


def _date(value: dt.date | None) -> Cell:
    return None if value is None else value.isoformat()


def _number(value: float | int | Decimal | None, places: int = 1) -> Cell:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return display.fixed(float(value), places)
    return display.fixed(value, places)


def data_section(source: DataSource) -> Section:
    """Say whether the report is on live data or on a data cut (verified before reading), and which sites."""
    sites = ", ".join(source.sites) or "none"
    if source.data_cut is None:
        text = (
            "Live data: read from the study database as it stood when the report ran, not from a data cut; "
            "running it again later may give other numbers."
        )
    else:
        cut = source.data_cut
        text = (
            f"Data cut {cut.identifier} (taken {cut.taken_at.isoformat(timespec='seconds')}, snapshot SHA-256 "
            f"{cut.snapshot_sha256}): re-computed from the database before reading and unchanged; only records "
            "that belong to the cut were read."
        )
    return Section("data", "Data source", (text, f"Sites read: {sites}. Voided records are never counted."))


def populations_section(tables: StudyTables, protocol: Protocol, source: DataSource) -> Section:
    """The populations with their definitions, rules and sizes, after the data-source statement."""
    rows: list[tuple[Cell, ...]] = []
    for population in protocol.populations:
        ids = members(tables.adsl, population.id)
        who = ", ".join(ids) if len(ids) <= NAMES_LIMIT else f"{len(ids)} subjects (see the subject-level table)"
        rows.append((population.label, population.rule, population.description, len(ids), who or None))
    table = Table(
        "Analysis populations",
        ("Population", "Rule", "Definition", "Subjects", "Who"),
        tuple(rows),
        note=f"Primary endpoint population: {tables.primary_population}; safety tables: {tables.safety_population}.",
    )
    return Section("populations", "Populations", data_section(source).paragraphs, (table,))


def disposition_section(tables: StudyTables) -> Section:
    """The disposition table (subjects per category and reason)."""
    rows = tuple(
        (r["category"], r["reason"] if r["reason"] is not None else "", r["n"]) for r in tables.disposition.to_dicts()
    )
    note = "A screen failure may fail more than one criterion; each is counted."
    return Section(
        "disposition",
        "Disposition",
        (),
        (Table("Subject disposition", ("Category", "Reason", "Subjects"), rows, note),),
    )


def subjects_section(tables: StudyTables, protocol: Protocol) -> Section:
    """The subject-level table as two listings: treatment and populations, then disposition."""
    ids = [(p.id, population_column(p.id)) for p in protocol.populations]
    treatment: list[tuple[Cell, ...]] = []
    disposition: list[tuple[Cell, ...]] = []
    for r in sorted(tables.adsl.to_dicts(), key=lambda row: display.subject_order(row["subject"])):
        populations = ", ".join(name for name, column in ids if r.get(column)) or None
        treatment.append(
            (
                r["subject"], r["site"], populations, _date(r["first_treatment_date"]),
                _date(r["last_treatment_date"]), r["infusions"], r["total_cells"], _number(r["ointment_grams"]),
            )
        )  # fmt: skip
        reason = r["withdrawal_reason"] or r["discontinuation_reason"] or ", ".join(r["screen_failure_reasons"] or [])
        disposition.append(
            (
                r["subject"], r["disposition"], r["treatment_status"], reason or None, r["rater_changes"],
                r["major_deviations"],
            )
        )  # fmt: skip
    rows, note = _capped(
        treatment,
        "Populations by id (see Populations); ointment: grams used by returned tubes (dispensed minus returned).",
    )
    first = Table(
        "Subjects: populations and treatment",
        ("Subject", "Site", "Populations", "First treatment", "Last treatment", "Infusions", "Cells", "Ointment (g)"),
        rows,
        note=note,
    )
    rows, note = _capped(disposition)
    second = Table(
        "Subjects: disposition",
        ("Subject", "Disposition", "Treatment", "Reason", "Rater changes", "Major deviations"),
        rows,
        note=note,
    )
    return Section("subjects", "Subject-level table", (), (first, second))


def _summary(values: Sequence[float]) -> tuple[Cell, Cell, Cell]:
    series = pl.Series(values, dtype=pl.Float64)
    if series.len() == 0:
        return None, None, None
    sd = series.std() if series.len() > 1 else None
    return _number(series.mean()), _number(sd), _number(series.median())  # type: ignore[arg-type]


def secondary_section(tables: StudyTables, protocol: Protocol) -> Section:
    """Per parameter and analysis visit, for the primary population's analysed rows: n, mean, SD, median of the
    value, mean change and mean percent improvement."""
    column = population_column(tables.primary_population)
    order = {v.id: i for i, v in enumerate(protocol.visits)}
    analysed = tables.adam.filter(pl.col("analysis_flag") & pl.col(column))
    rows: list[tuple[Cell, ...]] = []
    for parameter, label in PARAMETERS.items():
        part = analysed.filter(pl.col("parameter") == parameter)
        visits = sorted(set(part["analysis_visit"].to_list()), key=lambda v: (v != "baseline", order.get(v, 999)))
        for visit in visits:
            at = part.filter(pl.col("analysis_visit") == visit)
            mean, sd, median = _summary(at["value"].to_list())
            change = at["change"].drop_nulls()
            improvement = at["percent_improvement"].drop_nulls()
            rows.append(
                (
                    label, visit, at.height, mean, sd, median,
                    _number(change.mean()) if change.len() else None,  # type: ignore[arg-type]
                    _number(improvement.mean()) if improvement.len() else None,  # type: ignore[arg-type]
                )
            )  # fmt: skip
    out_of_window = tables.adam.filter((pl.col("window") == "out") & pl.col(column)).height
    table = Table(
        "Secondary endpoints by analysis visit",
        ("Parameter", "Visit", "n", "Mean", "SD", "Median", "Mean change", "Mean improvement %"),
        tuple(rows),
        note=f"{tables.primary_population} subjects; assessments outside every window: {out_of_window}.",
    )
    return Section("secondary", "Secondary endpoints", (), (table,))


def _frame_rows(frame: pl.DataFrame, columns: Sequence[str]) -> tuple[tuple[Cell, ...], ...]:
    out: list[tuple[Cell, ...]] = []
    for row in frame.select(columns).iter_rows():
        cells: list[Cell] = []
        for value in row:
            if isinstance(value, bool):
                cells.append("yes" if value else "no")
            elif isinstance(value, dt.date):
                cells.append(value.isoformat())
            elif isinstance(value, Decimal | float):
                cells.append(_number(value))
            else:
                cells.append(value)
        out.append(tuple(cells))
    return tuple(out)


def listing_table(title: str, columns: tuple[str, ...], rows: Sequence[tuple[Cell, ...]]) -> Table:
    """A listing of at most :data:`LISTING_LIMIT` rows, its note saying how many there are when cut."""
    shown, note = _capped(rows)
    return Table(title, columns, shown, note=note)


def _shift_table(shift: pl.DataFrame) -> Table:
    grades = ["0", "1", "2", "3", "4", "missing"]
    rows: list[tuple[Cell, ...]] = []
    for (test, baseline), part in sorted(shift.group_by("test", "baseline"), key=lambda item: str(item[0])):
        counts = dict(zip(part["worst"].to_list(), part["n"].to_list(), strict=True))
        rows.append((str(test), str(baseline), *(counts.get(g, 0) for g in grades)))
    return Table(
        "Laboratory shift: baseline grade against worst grade after the first treatment",
        ("Test", "Baseline grade", *(f"Worst {g}" for g in grades)),
        tuple(rows),
        note="Subjects; CTCAE grades as stored with each result.",
    )


def safety_section(tables: StudyTables, protocol: Protocol) -> Section:
    """Adverse events by term and worst grade, by relatedness, SAEs, lab shifts, infusion reactions, ointment."""
    population = tables.safety_population
    grade_columns = [c for c in tables.ae_by_grade.columns if c not in ("term",)]
    names = {i.id: i.other_names[0] if i.other_names else i.name for i in protocol.interventions}
    related = tables.ae_by_relatedness.with_columns(
        pl.col("intervention").replace_strict(names, default=pl.col("intervention"))
    )
    paragraphs = (
        f"Safety set: {len(members(tables.adsl, population))} subjects ({population}). An adverse event is "
        "treatment-emergent when its start (partial dates imputed toward the first dose) is on or after the first "
        "treatment date.",
    )
    safety_tables = (
        Table(
            "Treatment-emergent adverse events by term and worst grade (subjects)",
            ("Term", *grade_columns),
            _frame_rows(tables.ae_by_grade, ["term", *grade_columns]),
            note="Each subject is counted once per term, at its worst grade.",
        ),
        Table(
            "Treatment-emergent adverse events by relatedness to each study product (subjects)",
            ("Product", "Term", "Related", "Not assessed", "Not related"),
            _frame_rows(related, ["intervention", "term", "related", "not assessed", "not related"]),
            note="Related: POSSIBLE, PROBABLE or DEFINITE.",
        ),
        listing_table(
            "Serious adverse events",
            ("Subject", "Term", "Onset", "Study day", "Grade", "Criteria", "Outcome", "Treatment-emergent", "Reports"),
            _frame_rows(tables.serious, tables.serious.columns),
        ),
        _shift_table(tables.lab_shift),
        listing_table(
            "Infusion reactions",
            ("Subject", "Date", "Source", "Detail"),
            _frame_rows(tables.infusion_reactions, ["subject", "date", "source", "detail"]),
        ),
        listing_table(
            "Ointment exposure",
            ("Subject", "Tubes dispensed", "Tubes returned", "Grams used", "Highest g/week", "Tubes above limit"),
            _frame_rows(tables.ointment, tables.ointment.columns),
        ),
    )
    return Section("safety", "Safety", paragraphs, safety_tables)


def study_methods(tables: StudyTables) -> tuple[str, ...]:
    """The rules of the database tables in words, for the methods section (after the endpoint rules)."""
    return (
        "The first treatment date of a subject is its earliest study treatment recorded in the database: an "
        "infusion or an ointment tube handed out. The last treatment date is the end-of-treatment date, else the "
        "latest infusion or tube record.",
        f"The primary endpoint is analysed in the {tables.primary_population} population and the safety tables in "
        f"the {tables.safety_population} population, each defined by its rule in the protocol file (see "
        "Populations). A major protocol deviation at any time, or a week-12 PASI outside its window, removes a "
        "subject from the per-protocol set.",
        "Secondary endpoints: every scheduled visit after day 1 has a window of study days around its target; an "
        "assessment inside a window belongs to that visit, the closest to the target analysed (ties as for the "
        "primary endpoint); baseline is the last assessment on or before the first treatment date; percent "
        "improvement is not defined for the sPGA and not computable when the baseline is 0 or missing.",
        "An adverse event is treatment-emergent when its start, imputed toward the first dose when partial, is on or "
        "after the first treatment date. Subjects are counted once per term at their worst grade; for relatedness, "
        "once per product and term, as related when any of their events is POSSIBLE, PROBABLE or DEFINITE. The "
        "laboratory shift compares the latest grade on or before the first treatment date with the worst grade "
        "after it.",
    )


def study_sections(tables: StudyTables, protocol: Protocol, source: DataSource) -> tuple[Section, ...]:
    """Every section of the database report, in report order."""
    return (
        populations_section(tables, protocol, source),
        disposition_section(tables),
        secondary_section(tables, protocol),
        safety_section(tables, protocol),
        subjects_section(tables, protocol),
    )
