"""Reading and checking the long PASI CSV of ``dermtrial analyze``: one row per subject and assessment date.

Columns (more columns are ignored): ``subject`` (the subject id, text), ``first_treatment_date`` (ISO ``YYYY-MM-DD``,
empty for a subject never treated, the same on every row of the subject), ``assessment_date`` (ISO) and ``pasi``
(0–72 with at most one decimal, ``12.3``; trailing zeros such as ``12.30`` are accepted). The file is UTF-8 (a
byte-order mark is allowed), comma separated, with a header row; blank lines are skipped.

Every refusal names the line (the header is line 1), the column, the value given and what is allowed, and all faults
of the file are reported together. A subject with no baseline or a baseline of 0 is not bad input: the analysis
reports it as not evaluable.

The result is a polars frame with the columns ``subject`` (Utf8), ``first_treatment_date`` (Date, null when never
treated), ``assessment_date`` (Date) and ``pasi_tenths`` (Int64: PASI × 10, exact), in file order.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl

from dermtrial.errors import InvalidInput, Problem, sort_problems

REQUIRED_COLUMNS: tuple[str, ...] = ("subject", "first_treatment_date", "assessment_date", "pasi")
"""The columns the CSV must have, in the documented order (any order is accepted)."""
FRAME_SCHEMA: dict[str, type[pl.DataType]] = {
    "subject": pl.Utf8,
    "first_treatment_date": pl.Date,
    "assessment_date": pl.Date,
    "pasi_tenths": pl.Int64,
}
"""The columns and types of the analysis input frame (CSV path and database path alike)."""
PASI_MAX_TENTHS = 720
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_PASI_FAST = r"^0*\d{1,3}(?:\.\d?0*)?$"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)$"
_BOM = b"\xef\xbb\xbf"
_COLUMNS_TEXT = ", ".join(REQUIRED_COLUMNS)


class AnalysisInputError(InvalidInput):
    """The analysis input was refused. ``problems`` holds one :class:`~dermtrial.errors.Problem` per fault
    (``problem.format()`` is the one-line message: ``FILE:LINE: column: "value" … allowed``); ``messages`` holds
    those lines as text."""

    @property
    def messages(self) -> list[str]:
        """One line per problem, as the command line prints them."""
        return [p.format() for p in self.problems]


def _show(value: str) -> str:
    """The value in double quotes, with line breaks and other control characters escaped (one line)."""
    return json.dumps(value, ensure_ascii=False)


def _pasi_problem(text: str) -> str | None:
    """Why a PASI cell is refused, or None when it is a valid PASI (slow path, used only for rare cells)."""
    if not re.match(_NUMBER, text):
        return f"{_show(text)} is not a number: expected a PASI from 0 to 72 with at most one decimal"
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above only lets decimals through
        return f"{_show(text)} is not a number: expected a PASI from 0 to 72 with at most one decimal"
    if value < 0 or value > 72:
        return f"{_show(text)} is outside 0–72 (the PASI range)"
    if (value * 10) % 1 != 0:
        return f"{_show(text)} is not a multiple of 0.1: a PASI has at most one decimal"
    return None


def _line_numbers(text: str, rows: int) -> list[int]:
    """The file line on which each data row starts (header = line 1), counting quoted line breaks."""
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    starts: list[int] = []
    previous = reader.line_num
    for _ in reader:
        starts.append(previous + 1)
        previous = reader.line_num
    return starts if len(starts) == rows else list(range(2, rows + 2))


def _ragged_problems(text: str, source: str, width: int) -> list[Problem]:
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    problems: list[Problem] = []
    previous = reader.line_num
    for row in reader:
        if len(row) > width:
            problems.append(
                Problem(
                    ("(row)",),
                    f"{len(row)} fields, but the header names {width} columns",
                    source,
                    previous + 1,
                )
            )
        previous = reader.line_num
    return problems


def _decode(data: bytes, source: str) -> str:
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnalysisInputError([Problem((), f"not UTF-8 text (byte {exc.start + 1})", source)]) from None


def _header(text: str) -> list[str] | None:
    """The header record (read line by line, so a long file is not copied)."""

    def lines() -> Iterator[str]:
        start = 0
        while start < len(text):
            end = text.find("\n", start)
            end = len(text) if end < 0 else end + 1
            yield text[start:end]
            start = end

    return next(csv.reader(lines()), None)


def _header_problems(text: str, source: str) -> list[Problem]:
    header = _header(text)
    if not header or all(not h.strip() for h in header):
        allowed = ", ".join(REQUIRED_COLUMNS)
        return [
            Problem(("(header)",), f"the file is empty: expected a header row with the columns {allowed}", source, 1)
        ]
    names = [h.strip() for h in header]
    problems = [
        Problem((column,), f"required column is missing (the header must name {_COLUMNS_TEXT})", source, 1)
        for column in REQUIRED_COLUMNS
        if column not in names
    ]
    problems += [
        Problem((column,), "the column appears more than once in the header; it must appear once", source, 1)
        for column in REQUIRED_COLUMNS
        if names.count(column) > 1
    ]
    return problems


def read_assessments_csv(path: Path) -> pl.DataFrame:
    """Read and check the long PASI CSV at ``path``; see the module docstring for the columns and rules.

    Raises :class:`AnalysisInputError` listing every fault (line, column, value, what is allowed). A missing or
    unreadable file raises ``OSError`` as usual.
    """
    source = str(path)
    return parse_assessments_csv(path.read_bytes(), source)


def parse_assessments_csv(data: bytes, source: str) -> pl.DataFrame:
    """:func:`read_assessments_csv` on bytes already read; ``source`` names the file in messages."""
    text = _decode(data, source)
    header_problems = _header_problems(text, source)
    if header_problems:
        raise AnalysisInputError(header_problems)
    header = [h.strip() for h in _header(text) or []]
    try:
        raw = pl.read_csv(
            data[len(_BOM) :] if data.startswith(_BOM) else data,
            has_header=True,
            infer_schema=False,
        )
    except pl.exceptions.NoDataError:
        raise AnalysisInputError(
            [Problem(("(file)",), "no data rows: expected one row per assessment", source, 1)]
        ) from None
    except pl.exceptions.PolarsError as exc:
        problems = _ragged_problems(text, source, len(header))
        raise AnalysisInputError(
            problems or [Problem(("(file)",), f"not a readable CSV file: {str(exc).splitlines()[0]}", source)]
        ) from None
    physical_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    # when a quoted cell spans lines, number the rows as the csv module reads them
    spans = physical_lines != raw.height + 1
    lines = (
        pl.lit(pl.Series(_line_numbers(text, raw.height), dtype=pl.Int64))
        if spans
        else pl.int_range(2, raw.height + 2, dtype=pl.Int64)
    )
    raw = (
        raw.lazy()
        .select(pl.col(raw.columns[header.index(c)]).str.strip_chars().alias(c) for c in REQUIRED_COLUMNS)
        .with_columns(lines.alias("line"))
        .filter(~pl.all_horizontal(pl.col(c).is_null() | (pl.col(c) == "") for c in REQUIRED_COLUMNS))
        .collect()
    )
    if raw.height == 0:
        raise AnalysisInputError([Problem(("(file)",), "no data rows: expected one row per assessment", source, 1)])
    return _check(raw, source)


def _check(raw: pl.DataFrame, source: str) -> pl.DataFrame:
    """Parse and check the text columns of ``raw`` (plus ``line``); return the typed frame or raise."""
    # A cell of the simple form (digits, one decimal, trailing zeros) is read as a float and rounded to tenths:
    # at most 4 significant digits, so × 10 lands within 1e-12 of the whole number and the rounding is exact.
    simple = pl.col("pasi").str.contains(_PASI_FAST)
    parsed = (
        raw.lazy()
        .with_columns(pl.col(c).fill_null("") for c in REQUIRED_COLUMNS)
        .with_columns(
            first_treatment=pl.when(pl.col("first_treatment_date").str.contains(_DATE)).then(
                pl.col("first_treatment_date").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            ),
            assessed=pl.when(pl.col("assessment_date").str.contains(_DATE)).then(
                pl.col("assessment_date").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            ),
            pasi_tenths=pl.when(simple).then(
                (pl.col("pasi").cast(pl.Float64, strict=False) * 10).round(0).cast(pl.Int64)
            ),
        )
        .collect()
    )
    typed = parsed.select(
        "subject",
        pl.col("first_treatment").alias("first_treatment_date"),
        pl.col("assessed").alias("assessment_date"),
        "pasi_tenths",
    )
    if _cells_valid(parsed) and _consistent(parsed.filter(pl.col("subject") != ""), "assessed"):
        return typed  # the usual case: one pass over the cells, one group-by, no row-by-row search for faults
    problems: list[Problem] = []

    def add(rows: pl.DataFrame, column: str, message: str) -> None:
        for line, value in rows.select("line", column).iter_rows():
            problems.append(Problem((column,), message.format(_show(value)), source, line, value=value))

    add(parsed.filter(pl.col("subject") == ""), "subject", "the subject id is empty: every row needs one")
    add(
        parsed.filter(pl.col("subject").str.contains(r"[\x00-\x1f\x7f]")),
        "subject",
        "{} holds a line break, tab or other control character: a subject id is one line of text",
    )
    add(
        parsed.filter((pl.col("first_treatment_date") != "") & pl.col("first_treatment").is_null()),
        "first_treatment_date",
        "{} is not a date: expected YYYY-MM-DD, or empty for a subject never treated",
    )
    add(
        parsed.filter(pl.col("assessed").is_null()),
        "assessment_date",
        "{} is not a date: expected YYYY-MM-DD (every row is one assessment and needs its date)",
    )
    unusual: dict[int, int] = {}  # line → tenths of a valid PASI written in a rarer form (+5, .5, 5e0 is refused)
    for line, value in (
        parsed.filter(pl.col("pasi_tenths").is_null() | (pl.col("pasi_tenths") > PASI_MAX_TENTHS))
        .select("line", "pasi")
        .iter_rows()
    ):
        message = (
            "the PASI is empty: expected a PASI from 0 to 72 with at most one decimal "
            "(leave out an assessment not done)"
            if value == ""
            else _pasi_problem(value)
        )
        if message is not None:
            problems.append(Problem(("pasi",), message, source, line, value=value))
        else:
            unusual[line] = int(Decimal(value) * 10)
    problems += _consistency_problems(parsed.filter(pl.col("subject") != ""), source)
    if problems:
        raise AnalysisInputError(sort_problems(problems))
    if unusual:
        fixed = pl.DataFrame(
            {"line": list(unusual), "fixed": list(unusual.values())}, schema={"line": pl.Int64, "fixed": pl.Int64}
        )
        typed = (
            parsed.join(fixed, on="line", how="left", maintain_order="left")
            .with_columns(pasi_tenths=pl.coalesce("pasi_tenths", "fixed"))
            .select(typed.columns)
        )
    if typed.filter(pl.col("pasi_tenths").is_null()).height:  # pragma: no cover - every such cell was refused
        raise AssertionError("unparsed PASI cell")
    return typed


def _cells_valid(parsed: pl.DataFrame) -> bool:
    """No cell of ``parsed`` would be refused by the row-by-row checks of :func:`_check` (the same conditions)."""
    faults = parsed.select(
        pl.any_horizontal(
            (pl.col("subject") == "").any(),
            pl.col("subject").str.contains(r"[\x00-\x1f\x7f]").any(),
            ((pl.col("first_treatment_date") != "") & pl.col("first_treatment").is_null()).any(),
            pl.col("assessed").is_null().any(),
            (pl.col("pasi_tenths").is_null() | (pl.col("pasi_tenths") > PASI_MAX_TENTHS)).any(),
        )
    ).item()
    return not faults


def _consistent(frame: pl.DataFrame, date_column: str) -> bool:
    """Every subject has one first treatment date (a null counts as a value) and at most one PASI per date (what
    :func:`_consistency_problems` and :func:`check_assessment_frame` look for row by row)."""
    per_subject = frame.group_by("subject").agg(
        firsts=pl.col("first_treatment_date").n_unique(),
        dated=pl.col(date_column).count(),
        dates=pl.col(date_column).drop_nulls().n_unique(),
    )
    return bool(per_subject.select(((pl.col("firsts") <= 1) & (pl.col("dated") == pl.col("dates"))).all()).item())


def _consistency_problems(parsed: pl.DataFrame, source: str) -> list[Problem]:
    """A subject's first treatment date differs between rows; two rows for one subject on one date."""
    problems: list[Problem] = []
    first = parsed.group_by("subject").agg(
        pl.col("first_treatment_date").sort_by("line").first().alias("first_value"),
        pl.col("line").min().alias("first_line"),
    )
    differing = (
        parsed.join(first, on="subject").filter(pl.col("first_treatment_date") != pl.col("first_value")).sort("line")
    )
    for line, subject, value, first_value, first_line in differing.select(
        "line", "subject", "first_treatment_date", "first_value", "first_line"
    ).iter_rows():
        problems.append(
            Problem(
                ("first_treatment_date",),
                f"{_show(value)} differs from {_show(first_value)} on line {first_line} for subject {_show(subject)}: "
                "a subject has one first treatment date, the same on every row",
                source,
                line,
                value=value,
            )
        )
    dated = parsed.filter(pl.col("assessed").is_not_null())
    repeated = (
        dated.with_columns(
            pl.col("line").min().over("subject", "assessed").alias("first_line"),
            pl.len().over("subject", "assessed").alias("count"),
        )
        .filter((pl.col("count") > 1) & (pl.col("line") != pl.col("first_line")))
        .sort("line")
    )
    for line, subject, value, first_line in repeated.select(
        "line", "subject", "assessment_date", "first_line"
    ).iter_rows():
        problems.append(
            Problem(
                ("assessment_date",),
                f"{_show(value)}: subject {_show(subject)} already has a PASI on this date (line {first_line}); "
                "one PASI per subject and date is allowed",
                source,
                line,
                value=value,
            )
        )
    return problems


def check_assessment_frame(frame: pl.DataFrame, source: str = "assessments") -> pl.DataFrame:
    """Check a frame built elsewhere (the database path) against the same rules as the CSV; return it selected and
    typed. A row with a null ``assessment_date`` and a null ``pasi_tenths`` stands for a subject of the population
    with no PASI assessment at all."""
    missing = [c for c in FRAME_SCHEMA if c not in frame.columns]
    if missing:
        raise AnalysisInputError([Problem((c,), "required column is missing from the frame", source) for c in missing])
    try:
        typed = frame.select(pl.col(c).cast(t, strict=True) for c, t in FRAME_SCHEMA.items())
    except pl.exceptions.PolarsError as exc:
        raise AnalysisInputError([Problem((), f"a column has the wrong type: {exc}", source)]) from None
    pasi, date = pl.col("pasi_tenths"), pl.col("assessment_date")
    faults = typed.select(
        pl.any_horizontal(
            (pl.col("subject").is_null() | (pl.col("subject") == "")).any(),
            (pasi.is_null() & date.is_not_null()).any(),
            (pasi.is_not_null() & date.is_null()).any(),
            (~pasi.is_between(0, PASI_MAX_TENTHS)).any(),
        )
    ).item()
    if not faults and _consistent(typed, "assessment_date"):
        return typed  # the usual case: one pass and one group-by; the messages below only when something is wrong
    problems: list[Problem] = []
    if typed.filter(pl.col("subject").is_null() | (pl.col("subject") == "")).height:
        problems.append(Problem(("subject",), "the subject id is empty (or null): every row needs one", source))
    for subject in typed.filter(pl.col("pasi_tenths").is_null() & pl.col("assessment_date").is_not_null())["subject"]:
        problems.append(Problem(("pasi_tenths",), f"subject {subject}: an assessment date without a PASI", source))
    for subject in typed.filter(pl.col("pasi_tenths").is_not_null() & pl.col("assessment_date").is_null())["subject"]:
        problems.append(Problem(("assessment_date",), f"subject {subject}: a PASI without an assessment date", source))
    for subject, tenths in (
        typed.filter(~pl.col("pasi_tenths").is_between(0, PASI_MAX_TENTHS)).select("subject", "pasi_tenths").iter_rows()
    ):
        problems.append(
            Problem(("pasi_tenths",), f"subject {subject}: {tenths} is outside 0–720 (PASI 0–72 in tenths)", source)
        )
    per_subject = typed.group_by("subject").agg(pl.col("first_treatment_date").n_unique().alias("dates"))
    problems += [
        Problem(("first_treatment_date",), f"subject {subject}: more than one first treatment date", source)
        for subject in per_subject.filter(pl.col("dates") > 1)["subject"].to_list()
    ]
    dated = typed.filter(pl.col("assessment_date").is_not_null())
    twice = dated.group_by("subject", "assessment_date").len().filter(pl.col("len") > 1)
    problems += [
        Problem(("assessment_date",), f"subject {s}: two PASI values on {d.isoformat()}", source)
        for s, d in twice.select("subject", "assessment_date").iter_rows()
    ]
    if problems:
        raise AnalysisInputError(sort_problems(problems))
    return typed


def frame_from_rows(rows: Sequence[tuple[str, object, object, int | None]]) -> pl.DataFrame:
    """A typed input frame from ``(subject, first_treatment_date, assessment_date, pasi_tenths)`` tuples."""
    return pl.DataFrame(list(rows), schema=FRAME_SCHEMA, orient="row")
