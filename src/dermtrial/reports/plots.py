"""The drawings: waterfall, PASI over time and responder bars (laboratory values: :mod:`lab_plots`).

Every function returns a matplotlib :class:`~matplotlib.figure.Figure` (Agg canvas, never pyplot) and a
:class:`Described` with the alt text and caption the HTML shows under it. Nothing here computes a statistic: the
bars and intervals come from ``endpoints.json``; the only arithmetic is the mean PASI per analysis visit drawn on
the spaghetti plot, which is a picture of the data, not a result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from dermtrial.reports import display

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
BLUE = "#0072B2"
VERMILION = "#D55E00"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
BLACK = "#000000"
GREY = "#8C8C8C"
SUBJECT_COLOURS = (BLUE, ORANGE, GREEN, VERMILION, SKY, PURPLE, "#7F5F00", "#5E5E5E")
SUBJECT_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "*")
RESPONSE_LEVELS = ("pasi50", "pasi75", "pasi90", "pasi100")
SIZE = (7.0, 4.0)
STYLE: dict[Any, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8,
}
_MAX_LEGEND = 8
_MAX_BAR_LABELS = 16
_MANY = 200
"""Above this many subjects lines are faint and bars become a filled profile."""


@dataclass(frozen=True)
class Described:
    """What the HTML says about a figure: its alt text (what it shows) and its caption (how to read it)."""

    alt: str
    caption: str


def figure_axes(size: tuple[float, float] = SIZE) -> tuple[Figure, Axes]:
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()


def no_data(title: str, reason: str = "No evaluable data") -> Figure:
    """A figure that says there is nothing to draw, with the figure's title."""
    figure, axes = figure_axes((7.0, 2.0))
    axes.set_axis_off()
    axes.set_title(title)
    axes.text(0.5, 0.5, reason, ha="center", va="center", fontsize=14, color=BLACK, transform=axes.transAxes)
    return figure


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def per_subject(endpoints: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``primary.per_subject`` as a list (empty when absent)."""
    primary = endpoints.get("primary") or {}
    rows = primary.get("per_subject") or [] if isinstance(primary, Mapping) else []
    return [row for row in rows if isinstance(row, Mapping)]


def not_evaluable(endpoints: Mapping[str, Any]) -> list[str]:
    """The subjects listed in ``per_subject`` without a computable improvement, in listed order."""
    rows = per_subject(endpoints)
    return [str(row.get("subject")) for row in rows if _number(row.get("improvement_percent")) is None]


def waterfall(endpoints: Mapping[str, Any]) -> tuple[Figure, Described]:
    """Per-subject PASI improvement %, sorted from best to worst, with dashed lines at 50, 75 and 90 %."""
    title = "PASI improvement at week 12 per subject"
    values = [
        (str(row.get("subject")), number)
        for row in per_subject(endpoints)
        if (number := _number(row.get("improvement_percent"))) is not None
    ]
    values.sort(key=lambda item: (-item[1], item[0]))
    missing = not_evaluable(endpoints)
    missing_text = (
        f"Not evaluable (no improvement computable): {', '.join(missing)}."
        if missing
        else "Every listed subject is evaluable."
    )
    if not values:
        caption = f"No subject has a computable improvement. {missing_text}"
        return no_data(title), Described(f"{title}: no evaluable data.", caption)
    figure, axes = figure_axes()
    positions = list(range(len(values)))
    heights = [v for _, v in values]
    if len(values) <= _MANY:
        colours = [BLUE if v >= 0 else VERMILION for v in heights]
        axes.bar(positions, heights, color=colours, width=0.7, edgecolor=BLACK, linewidth=0.5)
    else:  # one filled profile instead of thousands of bars
        axes.fill_between(positions, heights, 0, where=[v >= 0 for v in heights], step="mid", color=BLUE, linewidth=0)
        axes.fill_between(
            positions, heights, 0, where=[v < 0 for v in heights], step="mid", color=VERMILION, linewidth=0
        )
        axes.set_xlim(-0.5, len(values) - 0.5)
    for level, style in ((50, (0, (4, 3))), (75, (0, (6, 3))), (90, (0, (2, 2)))):
        axes.axhline(level, color=BLACK, linestyle=style, linewidth=1)
        axes.text(1.005, level, f"PASI{level}", transform=axes.get_yaxis_transform(), va="center", fontsize=8)
    axes.axhline(0, color=BLACK, linewidth=0.8)
    low = min(0.0, min(heights))
    axes.set_ylim(low - 8 if low < 0 else 0, 108)
    if len(values) <= _MAX_BAR_LABELS:
        for x, v in zip(positions, heights, strict=True):
            axes.text(
                x,
                v + (1.5 if v >= 0 else -1.5),
                display.percent(v),
                ha="center",
                va="bottom" if v >= 0 else "top",
                fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6},  # readable across a threshold line
            )
    if len(values) <= 40:
        labels = [s for s, _ in values]
        # Upright labels only while they fit side by side (about 48 characters across the axis at 9 pt).
        crowded = len(labels) * max(len(label) for label in labels) > 48
        axes.set_xticks(positions, labels, rotation=45 if crowded else 0, ha="right" if crowded else "center")
    else:
        axes.set_xticks([])
    axes.set_xlabel(f"Subject, sorted by improvement (n = {len(values)})")
    axes.set_ylabel("PASI improvement from baseline (%)")
    axes.set_title(title)
    best, worst = values[0], values[-1]
    alt = (
        f"Bar chart of the PASI improvement at week 12 for {len(values)} subjects, sorted from "
        f"{best[0]} ({display.percent(best[1])} %) to {worst[0]} ({display.percent(worst[1])} %), "
        "with dashed reference lines at 50, 75 and 90 %."
    )
    caption = (
        "Each bar is one subject's improvement % = (baseline − week 12) / baseline × 100; blue bars improved, "
        f"vermilion bars worsened. Dashed lines mark the PASI50, PASI75 and PASI90 thresholds. {missing_text}"
    )
    return figure, Described(alt, caption)


def _pasi_rows(pasi: pl.DataFrame) -> pl.DataFrame:
    needed = {"subject", "study_day", "pasi"}
    if not needed <= set(pasi.columns):
        return pl.DataFrame({"subject": [], "study_day": [], "pasi": []})
    return pasi.filter(pl.col("pasi").is_not_null() & pl.col("study_day").is_not_null())


def spaghetti(pasi: pl.DataFrame, week12_window: tuple[int, int]) -> tuple[Figure, Described]:
    """PASI over study day, one line per subject, the mean per analysis visit, the week-12 window shaded."""
    title = "PASI over study day"
    rows = _pasi_rows(pasi)
    low, high = week12_window
    if rows.height == 0:
        return no_data(title), Described(f"{title}: no evaluable data.", "No PASI assessment to draw.")
    figure, axes = figure_axes()
    axes.axvspan(low - 0.5, high + 0.5, color=SKY, alpha=0.25, linewidth=0, label=f"week-12 window (days {low}–{high})")
    subjects = draw_subject_lines(axes, rows, "pasi")
    means = _visit_means(rows)
    if means:
        axes.plot(
            [m[1] for m in means],
            [m[2] for m in means],
            color=BLACK,
            linewidth=2.4,
            marker="D",
            markersize=6,
            label="mean per analysis visit",
            zorder=5,
        )
        for visit, day, value, count in means:
            axes.annotate(
                f"{visit}\nn = {count}",
                (day, value),
                textcoords="offset points",
                xytext=(0, 10),
                ha="center",
                fontsize=7,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": GREY, "alpha": 0.9},
                zorder=7,
            )
    axes.set_xlabel("Study day (day 1 = first treatment; no day 0)")
    axes.set_ylabel("PASI (points, 0–72)")
    axes.set_ylim(bottom=0)
    axes.set_title(title)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    mean_text = "; ".join(f"{v} {display.pasi(m)} (n = {c})" for v, _, m, c in means) or "none"
    alt = (
        f"Line chart of PASI against study day for {len(subjects)} subjects, with the week-12 window "
        f"(days {low}–{high}) shaded. Mean PASI per analysis visit: {mean_text}."
    )
    caption = (
        "Thin lines: each subject's PASI assessments. Black diamonds: mean PASI of the assessments the analysis "
        "selected for each analysis visit, drawn at their mean study day. Shaded: the week-12 window, "
        f"days {low}–{high}."
    )
    return figure, Described(alt, caption)


def subject_series(rows: pl.DataFrame, value: str) -> list[tuple[str, list[float], list[float]]]:
    """One (subject, study days, values) per subject, sorted by subject and study day, in one pass (no per-subject
    filtering, so that 50,000 subjects take as long as one sort)."""
    ordered = rows.select(
        pl.col("subject").cast(pl.String), pl.col("study_day").cast(pl.Float64), pl.col(value).cast(pl.Float64)
    ).sort("subject", "study_day")
    subjects = ordered.get_column("subject").to_list()
    days = ordered.get_column("study_day").to_list()
    values = ordered.get_column(value).to_list()
    out: list[tuple[str, list[float], list[float]]] = []
    start = 0
    for index in range(1, len(subjects) + 1):
        if index == len(subjects) or subjects[index] != subjects[start]:
            out.append((subjects[start], days[start:index], values[start:index]))
            start = index
    return out


def draw_subject_lines(axes: Axes, rows: pl.DataFrame, value: str) -> list[str]:
    """One line per subject: coloured with its own marker and a legend entry up to 8 subjects, thin grey lines
    drawn as one collection above that. Returns the subjects drawn."""
    series = subject_series(rows, value)
    if len(series) > _MAX_LEGEND:
        lines = LineCollection(
            [list(zip(days, values, strict=True)) for _, days, values in series],
            colors=GREY,
            linewidths=0.6,
            alpha=0.5 if len(series) <= _MANY else 0.15,
            label=f"each subject (n = {len(series):,})",
        )
        axes.add_collection(lines)
        axes.autoscale_view()
        if len(series) <= _MANY:
            for _, days, values in series:
                axes.plot(days, values, linestyle="none", marker="o", markersize=2, color=GREY, alpha=0.6)
        return [subject for subject, _, _ in series]
    for index, (subject, days, values) in enumerate(series):
        axes.plot(
            days,
            values,
            color=SUBJECT_COLOURS[index % len(SUBJECT_COLOURS)],
            linewidth=1.2,
            alpha=0.9,
            marker=SUBJECT_MARKERS[index % len(SUBJECT_MARKERS)],
            markersize=4,
            label=subject,
        )
    return [subject for subject, _, _ in series]


def _visit_means(rows: pl.DataFrame) -> list[tuple[str, float, float, int]]:
    if "analysis_visit" not in rows.columns:
        return []
    selected = rows.filter(pl.col("analysis_visit").is_not_null())
    if selected.height == 0:
        return []
    grouped = (
        selected.group_by("analysis_visit")
        .agg(
            pl.col("study_day").cast(pl.Float64).mean().alias("day"),
            pl.col("pasi").cast(pl.Float64).mean().alias("mean"),
            pl.len().alias("n"),
        )
        .sort("day", "analysis_visit")
    )
    return [
        (str(r["analysis_visit"]), float(r["day"]), float(r["mean"]), int(r["n"]))
        for r in grouped.iter_rows(named=True)
    ]


def responder_rows(endpoints: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """``responders.pasi50 … pasi100`` that are present, in threshold order."""
    responders = endpoints.get("responders") or {}
    if not isinstance(responders, Mapping):
        return []
    return [(key, responders[key]) for key in RESPONSE_LEVELS if isinstance(responders.get(key), Mapping)]


def responders(endpoints: Mapping[str, Any]) -> tuple[Figure, Described]:
    """Responder proportions with their Clopper–Pearson 95 % intervals and k/n above each bar."""
    title = "Responders at week 12"
    rows = [(key, row) for key, row in responder_rows(endpoints) if _number(row.get("proportion")) is not None]
    rule = str(endpoints.get("missing_data_rule", "observed"))
    if not rows or all(not row.get("of") for _, row in rows):
        return no_data(title), Described(f"{title}: no evaluable data.", "No subject has a computable improvement.")
    figure, axes = figure_axes()
    labels = [key.upper() for key, _ in rows]
    heights = [100 * (_number(row.get("proportion")) or 0.0) for _, row in rows]
    lower: list[float] = []
    upper: list[float] = []
    for (_, row), height in zip(rows, heights, strict=True):
        ci = row.get("ci95")
        lo = _number(ci[0]) if isinstance(ci, Sequence) and len(ci) == 2 else None
        hi = _number(ci[1]) if isinstance(ci, Sequence) and len(ci) == 2 else None
        lower.append(max(0.0, height - 100 * lo) if lo is not None else 0.0)
        upper.append(max(0.0, 100 * hi - height) if hi is not None else 0.0)
    positions = list(range(len(rows)))
    axes.bar(
        positions, heights, color=[BLUE, SKY, GREEN, ORANGE][: len(rows)], edgecolor=BLACK, linewidth=0.5, width=0.6
    )
    axes.errorbar(positions, heights, yerr=[lower, upper], fmt="none", ecolor=BLACK, capsize=6, linewidth=1.2)
    for x, (_, row), height, up in zip(positions, rows, heights, upper, strict=True):
        axes.text(x, height + up + 2, f"{row.get('n')}/{row.get('of')}", ha="center", va="bottom", fontsize=10)
    axes.set_xticks(positions, labels)
    axes.set_ylim(0, 115)
    axes.set_yticks([0, 20, 40, 60, 80, 100])
    axes.set_ylabel("Subjects responding (%)")
    axes.set_xlabel("Response level (PASI improvement ≥ 50, 75, 90, 100 %)")
    axes.set_title(title)
    shown = "; ".join(
        f"{key.upper()} {row.get('n')}/{row.get('of')} ({display.proportion(_number(row.get('proportion')))})"
        for key, row in rows
    )
    alt = f"Bar chart of responder proportions with 95 % confidence intervals: {shown}."
    caption = (
        "Bars: proportion of responders; error bars: exact (Clopper–Pearson) 95 % confidence interval; above each "
        f"bar, responders / subjects counted. Missing-data rule: {rule}."
    )
    return figure, Described(alt, caption)
