"""What a study report is made of: the input that ``dermtrial analyze`` and ``dermtrial report`` hand to the renderer.

The renderer (HTML, PDF, figures) never computes a statistic; it lays out what the analysis computed. Both command
paths build one :class:`ReportInput`:

- ``dermtrial analyze`` (a long CSV): the endpoints and the PASI assessments only; ``sections`` is empty.
- ``dermtrial report`` (a study database): also populations, disposition, secondary endpoints and safety, given as
  :class:`Section` objects, the data cut, and the lab values for the lab figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """A table as it is printed: column headings, rows of cells already rounded for display, an optional note."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str | None = None


@dataclass(frozen=True)
class Section:
    """A report section: a stable id (``populations``, ``disposition``, ``secondary``, ``safety`` …), a heading,
    paragraphs of text and tables, in that order."""

    id: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class DataCutInfo:
    """The data cut a database report was run on: its identifier, when it was taken and its snapshot hash."""

    identifier: str
    taken_at: datetime
    snapshot_sha256: str


@dataclass(frozen=True)
class ReportInput:
    """Everything the renderer lays out.

    ``endpoints`` is the content of ``endpoints.json`` (see docs/analysis.md). ``pasi`` has one row per PASI
    assessment with the columns ``subject`` (str), ``study_day`` (int, CDISC: day 1 = first treatment, no day 0),
    ``pasi`` (float) and ``analysis_visit`` (str or null: ``baseline``, ``week12`` … for the rows the analysis
    selected). ``labs``, when given, has ``subject``, ``test``, ``unit``, ``study_day``, ``value``, ``lln``, ``uln``
    and ``grade`` (int or null) for the lab-over-time figure.
    """

    protocol_id: str
    protocol_version: str
    protocol_title: str
    source: str
    endpoints: Mapping[str, Any]
    pasi: pl.DataFrame
    software_version: str
    sections: tuple[Section, ...] = ()
    labs: pl.DataFrame | None = None
    data_cut: DataCutInfo | None = None
    methods: tuple[str, ...] = field(default=())
    """Paragraphs of the methods section (each rule the analysis applied, in words)."""
    week12_window: tuple[int, int] = (82, 88)
    """The week-12 window in CDISC study days (first and last day, inclusive), shaded on the PASI figure and used to
    say whether a missing week-12 value was out of window."""
    generated_at: datetime | None = None
    """When the report was generated (UTC), printed on the title page; None leaves it out so that the same input
    gives the same file."""
