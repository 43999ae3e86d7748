"""The report's figures, drawn with matplotlib's Agg canvas (no pyplot, no global state) and written as PNG.

Each figure is deterministic (same input, same pixels: fixed size, resolution and font, PNG without a software
stamp), readable at print size (7 × 4 inches at 150 dpi, text at 9–11 pt on an A4 page), has labelled axes with
units and uses the Okabe–Ito colour-blind-safe palette. A figure with nothing to draw says "No evaluable data"
instead of failing. The drawing itself lives in :mod:`dermtrial.reports.plots`; this module names the files, writes
them and describes them (title, alt text, caption) for the HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from dermtrial.reports import lab_plots, plots
from dermtrial.reports.model import ReportInput

DPI = 150


@dataclass(frozen=True)
class FigureFile:
    """One written figure: its id, its path relative to the report folder, its title, alt text and caption."""

    id: str
    path: Path
    title: str
    alt: str
    caption: str
    section: str
    """Where the figure goes: ``primary``, ``responders`` or ``safety``."""


def _save(figure: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png", metadata={"Software": None})


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40] or "test"


def write_figures(out_dir: Path, report: ReportInput, week12_window: tuple[int, int]) -> tuple[FigureFile, ...]:
    """Draw every figure of ``report`` into ``out_dir/figures/`` and return their descriptions in report order."""
    with matplotlib.rc_context(plots.STYLE):
        return _write(out_dir, report, week12_window)


def _write(out_dir: Path, report: ReportInput, week12_window: tuple[int, int]) -> tuple[FigureFile, ...]:
    written: list[FigureFile] = []

    def emit(name: str, section: str, title: str, drawn: tuple[Figure, plots.Described]) -> None:
        figure, described = drawn
        relative = Path("figures") / f"{name}.png"
        _save(figure, out_dir / relative)
        written.append(FigureFile(name, relative, title, described.alt, described.caption, section))

    emit(
        "waterfall",
        "primary",
        "PASI improvement at week 12 per subject (waterfall)",
        plots.waterfall(report.endpoints),
    )
    emit(
        "pasi-over-time",
        "primary",
        "PASI over study day per subject, with the mean per analysis visit",
        plots.spaghetti(report.pasi, week12_window),
    )
    emit(
        "responders",
        "responders",
        "PASI50, PASI75, PASI90 and PASI100 responders with exact 95 % confidence intervals",
        plots.responders(report.endpoints),
    )
    if report.labs is not None:
        tests = lab_plots.lab_tests(report.labs)
        if not tests:
            emit("labs", "safety", "Laboratory values over time", lab_plots.lab_over_time(report.labs, None))
        for index, test in enumerate(tests, start=1):
            emit(
                f"labs-{index:02d}-{_slug(test)}",
                "safety",
                f"{test} over study day against the normal limits",
                lab_plots.lab_over_time(report.labs, test),
            )
    return tuple(written)
