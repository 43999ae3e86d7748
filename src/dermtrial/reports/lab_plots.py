"""Laboratory values over study day against their normal limits (LLN, ULN), graded values marked: one figure per
test, for the safety section of a database report."""

from __future__ import annotations

import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dermtrial.reports.plots import BLACK, Described, draw_subject_lines, figure_axes, no_data

_MAX_GRADE_LABELS = 40
"""Above this many graded results only the markers are drawn, not their G1–G4 labels."""


def lab_tests(labs: pl.DataFrame | None) -> list[str]:
    """The tests with at least one value, sorted by name."""
    if labs is None or not {"test", "value", "study_day"} <= set(labs.columns):
        return []
    rows = labs.filter(pl.col("value").is_not_null() & pl.col("study_day").is_not_null())
    return sorted(str(t) for t in rows.get_column("test").unique().to_list() if t is not None)


def _limit_line(axes: Axes, rows: pl.DataFrame, column: str, label: str) -> str:
    if column not in rows.columns:
        return "not given"
    limits = rows.filter(pl.col(column).is_not_null()).select("study_day", column)
    if limits.height == 0:
        return "not given"
    distinct = sorted({float(v) for v in limits.get_column(column).to_list()})
    if len(distinct) == 1:
        axes.axhline(
            distinct[0],
            color=BLACK,
            linestyle=(0, (5, 3)) if label == "ULN" else (0, (1, 2)),
            linewidth=1.2,
            label=f"{label} {distinct[0]:g}",
        )
        return f"{distinct[0]:g}"
    axes.scatter(
        limits.get_column("study_day").to_list(),
        limits.get_column(column).to_list(),
        marker="_",
        s=120,
        color=BLACK,
        label=f"{label} (per result)",
    )
    return f"{distinct[0]:g}–{distinct[-1]:g} (varies by result)"


def lab_over_time(labs: pl.DataFrame | None, test: str | None) -> tuple[Figure, Described]:
    """One laboratory test over study day per subject, its LLN and ULN, and a marker on each graded value."""
    title = f"{test} over study day" if test else "Laboratory values over study day"
    if labs is None or test is None:
        return no_data(title), Described(f"{title}: no evaluable data.", "No laboratory value to draw.")
    rows = labs.filter(
        (pl.col("test").cast(pl.String) == test) & pl.col("value").is_not_null() & pl.col("study_day").is_not_null()
    )
    if rows.height == 0:
        return no_data(title), Described(f"{title}: no evaluable data.", "No laboratory value to draw.")
    units = sorted({str(u) for u in rows.get_column("unit").to_list() if u}) if "unit" in rows.columns else []
    figure, axes = figure_axes((7.0, 3.4))
    subjects = draw_subject_lines(axes, rows, "value")
    lln = _limit_line(axes, rows, "lln", "LLN")
    uln = _limit_line(axes, rows, "uln", "ULN")
    graded = rows.filter(pl.col("grade").is_not_null() & (pl.col("grade") > 0)) if "grade" in rows.columns else rows[:0]
    if graded.height:
        axes.scatter(
            graded.get_column("study_day").to_list(),
            graded.get_column("value").to_list(),
            marker="^",
            s=70,
            facecolors="none",
            edgecolors=BLACK,
            linewidths=1.3,
            label="CTCAE grade ≥ 1",
            zorder=6,
        )
        for r in graded.head(_MAX_GRADE_LABELS).iter_rows(named=True):
            axes.annotate(
                f"G{r['grade']}", (r["study_day"], r["value"]), textcoords="offset points", xytext=(5, 5), fontsize=7
            )
    axes.set_xlabel("Study day (day 1 = first treatment)")
    axes.set_ylabel(f"{test} ({', '.join(units)})" if units else f"{test} (unit not given)")
    axes.set_title(title)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    alt = (
        f"Line chart of {test} against study day for {len(subjects)} subjects; lower limit of normal {lln}, upper "
        f"limit of normal {uln}; {graded.height} value(s) with a CTCAE grade of 1 or more."
    )
    caption = (
        "Lines: each subject's results; black dotted line: lower limit of normal (LLN); black dashed line: upper "
        "limit of normal (ULN); "
        "open triangles labelled G1–G4: results with a CTCAE grade."
    )
    return figure, Described(alt, caption)
