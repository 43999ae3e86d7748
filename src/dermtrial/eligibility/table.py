"""The screening table: one candidate per row, the columns being the screening record's fields, flattened.

A column is named by the record field's path with dots: ``consent_date``, ``assessments.pasi``,
``labs.CA.value`` / ``labs.CA.unit`` / ``labs.CA.lln`` / ``labs.CA.uln``, ``last_use.biologic``,
``facts.psoriasis_type``, ``judgements.E10.decision`` / ``.investigator`` / ``.date`` / ``.reason``. Which columns
exist follows from the protocol (:func:`table_columns`); a column left out is unknown for every row, an empty cell is
unknown for that row. ``never`` in a ``last_use.*`` or ``other_trial_end_date`` cell means never (the record's
``null``). Item-level forms (PASI items, Zung answers) are not table columns: give the derived values.

:func:`read_frame` checks and types a raw table (every cell may be text, as from CSV) and returns the problems with
the row index and column, never guessing: a bad row is bad input for the whole table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from dermtrial.eligibility.inputs import INSTRUMENT_FIELDS, fact_inputs
from dermtrial.eligibility.labs import check_unit
from dermtrial.errors import Problem
from dermtrial.protocol.model import Protocol

NEVER_TEXT = "never"
MAX_PROBLEMS = 50
_DATE_FIELDS = ("consent_date", "baseline_date", "birth_date", "other_trial_end_date")
_ASSESSMENT_BOUNDS: Mapping[str, tuple[float, float, bool]] = {
    "pasi": (0, 72, False),
    "bsa_percent": (0, 100, False),
    "zung_sas_index": (25, 100, True),
    "zung_sds_index": (25, 100, True),
    "spga": (0, 4, True),
    "dlqi": (0, 30, True),
    "itch": (0, 100, False),
}


@dataclass(frozen=True)
class Column:
    """One column of the screening table: its name, what it holds and what is allowed."""

    name: str
    kind: str
    """``text``, ``date``, ``date_or_never``, ``number``, ``unit``, ``boolean``, ``code`` or ``decision``."""
    description: str
    allowed: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    whole: bool = False


def table_columns(protocol: Protocol) -> list[Column]:
    """Every column the protocol's inputs and criteria can read, in documentation order."""
    columns = [Column("candidate", "text", "the candidate's id")]
    columns += [
        Column(name, "date_or_never" if name == "other_trial_end_date" else "date", name.replace("_", " "))
        for name in _DATE_FIELDS
    ]
    instruments = [spec.source.instrument for spec in protocol.eligibility.inputs if spec.source.instrument]
    for instrument in dict.fromkeys(instruments):
        field = INSTRUMENT_FIELDS.get(instrument, (instrument, None))[0]
        low, high, whole = _ASSESSMENT_BOUNDS.get(field, (0.0, float("inf"), False))
        columns.append(Column(f"assessments.{field}", "number", instrument, low=low, high=high, whole=whole))
    tests = {test.code: test for test in protocol.safety.lab_tests}
    labs = [spec.source.lab for spec in protocol.eligibility.inputs if spec.source.lab]
    if protocol.settings.eligibility_calcium == "albumin_corrected" and "ALB" in tests:
        labs.append("ALB")
    for code in dict.fromkeys(labs):
        units = (tests[code].si_unit, *tests[code].site_units)
        columns.append(Column(f"labs.{code}.value", "number", f"{code} result", low=0))
        columns.append(Column(f"labs.{code}.unit", "unit", f"{code} unit", allowed=units))
        columns.append(Column(f"labs.{code}.lln", "number", f"{code} lower limit of normal", low=0))
        columns.append(Column(f"labs.{code}.uln", "number", f"{code} upper limit of normal", low=0))
    therapy = next((c for c in protocol.codelists if c.id == "therapy_class"), None)
    for entry in therapy.entries if therapy else []:
        columns.append(Column(f"last_use.{entry.code}", "date_or_never", f"last use of {entry.label}"))
    for name, (item_type, codes) in fact_inputs(protocol).items():
        if item_type == "boolean":
            columns.append(Column(f"facts.{name}", "boolean", name))
        elif item_type in {"integer", "decimal"}:
            columns.append(Column(f"facts.{name}", "number", name))
        else:
            columns.append(Column(f"facts.{name}", "code" if codes else "text", name, allowed=tuple(codes or ())))
    for criterion in [*protocol.eligibility.inclusion, *protocol.eligibility.exclusion]:
        if criterion.kind == "investigator_judgement":
            base = f"judgements.{criterion.id}"
            columns.append(Column(f"{base}.decision", "decision", "", allowed=("satisfied", "not_satisfied")))
            columns.append(Column(f"{base}.investigator", "text", "investigator"))
            columns.append(Column(f"{base}.date", "date", "date of the judgement"))
            columns.append(Column(f"{base}.reason", "text", "reason"))
    return columns


class _Problems:
    def __init__(self, first_row: int) -> None:
        self.first_row = first_row
        self.items: list[Problem] = []
        self.more = 0

    def rows(self, frame: pl.DataFrame, mask: pl.Series, column: str, message: str, raw: pl.Series) -> None:
        """One problem per row where ``mask`` is true (up to MAX_PROBLEMS in all)."""
        bad = frame.select(pl.int_range(pl.len()).alias("row")).filter(mask.fill_null(False))["row"]
        for row in bad.to_list():
            if len(self.items) >= MAX_PROBLEMS:
                self.more += 1
                continue
            value = raw[row]
            shown = "empty" if value is None else f'"{value}"' if isinstance(value, str) else str(value)
            self.items.append(
                Problem((self.first_row + row, column), f"{shown} is not allowed: {message}", value=value)
            )

    def result(self) -> list[Problem]:
        if self.more:
            return [*self.items, Problem((), f"… and {self.more} more problems")]
        return self.items


def _as_text(series: pl.Series) -> pl.Series:
    return series if series.dtype == pl.String else series.cast(pl.String)


def _typed(column: Column, raw: pl.Series, frame: pl.DataFrame, problems: _Problems) -> pl.DataFrame:
    """The typed column(s) for one raw column: ``name`` and, for dates that may say never, ``name.never``."""
    name = column.name
    if column.kind in {"date", "date_or_never"}:
        if raw.dtype == pl.Date:
            return pl.DataFrame({name: raw, f"{name}.never": pl.repeat(False, len(raw), eager=True)})
        text = _as_text(raw).str.strip_chars()
        never = text == NEVER_TEXT if column.kind == "date_or_never" else pl.repeat(False, len(raw), eager=True)
        dates = text.str.to_date("%Y-%m-%d", strict=False)
        bad = text.is_not_null() & dates.is_null() & ~never
        allowed = "expected a date YYYY-MM-DD" + (" or never" if column.kind == "date_or_never" else "")
        problems.rows(frame, bad, name, allowed, raw)
        return pl.DataFrame({name: dates, f"{name}.never": never.fill_null(False)})
    if column.kind == "number":
        numbers = raw.cast(pl.Float64, strict=False) if raw.dtype != pl.Boolean else raw.cast(pl.Float64) * None
        bad = raw.is_not_null() & (numbers.is_null() | numbers.is_nan() | numbers.is_infinite())
        problems.rows(frame, bad, name, "expected a number", raw)
        low, high = column.low, column.high
        what = "a whole number" if column.whole else "a number"
        rule = (
            f"must be {what} >= {low:g}" if high is None or high == float("inf") else f"must be {what} {low:g}–{high:g}"
        )
        out_of_range = pl.Series([False] * len(raw))
        if low is not None:
            out_of_range = out_of_range | (numbers < low).fill_null(False)
        if high is not None:
            out_of_range = out_of_range | (numbers > high).fill_null(False)
        if column.whole:
            out_of_range = out_of_range | (numbers != numbers.floor()).fill_null(False)
        problems.rows(frame, out_of_range & ~bad, name, rule, raw)
        return pl.DataFrame({name: numbers})
    if column.kind == "boolean":
        if raw.dtype == pl.Boolean:
            return pl.DataFrame({name: raw})
        text = _as_text(raw).str.strip_chars().str.to_lowercase()
        booleans = text.replace_strict({"true": True, "false": False}, default=None, return_dtype=pl.Boolean)
        problems.rows(frame, text.is_not_null() & booleans.is_null(), name, "expected true or false", raw)
        return pl.DataFrame({name: booleans})
    text = _as_text(raw)
    if column.kind in {"code", "decision"}:
        problems.rows(
            frame,
            text.is_not_null() & ~text.is_in(list(column.allowed)),
            name,
            f"expected one of {', '.join(column.allowed)}",
            raw,
        )
    if column.kind == "text" and name.startswith("judgements."):
        problems.rows(frame, text.str.strip_chars() == "", name, "must not be empty", raw)
    return pl.DataFrame({name: text})


def read_frame(
    protocol: Protocol, frame: pl.DataFrame, *, first_row: int = 0
) -> tuple[pl.DataFrame, dict[str, list[str]], list[Problem]]:
    """Check and type a raw screening table.

    Returns the typed table (every protocol column present, absent ones as nulls), for each lab the allowed unit
    spellings found in the table, and the problems (row index counted from ``first_row``).
    """
    columns = table_columns(protocol)
    known = {column.name for column in columns}
    problems = _Problems(first_row)
    for name in frame.columns:
        if name not in known:
            problems.items.append(Problem((name,), "unknown column (see docs/eligibility.md for the columns)"))
    parts: list[pl.DataFrame] = []
    units: dict[str, list[str]] = {}
    for column in columns:
        raw = frame[column.name] if column.name in frame.columns else pl.Series([None] * frame.height, dtype=pl.String)
        if column.kind == "unit":
            raw = _as_text(raw)
            code = column.name.split(".")[1]
            test = next(t for t in protocol.safety.lab_tests if t.code == code)
            seen = [u for u in raw.unique().to_list() if u is not None]
            allowed = [u for u in seen if check_unit(test, u) is None]
            units[code] = allowed
            problems.rows(
                frame,
                raw.is_not_null() & ~raw.is_in(allowed),
                column.name,
                f"{code} results are reported in {', '.join(column.allowed)}",
                raw,
            )
        parts.append(_typed(column, raw, frame, problems))
    typed = pl.concat(parts, how="horizontal") if parts else pl.DataFrame()
    _cross_checks(typed, frame, problems, list(units))
    return typed, units, problems.result()


def _cross_checks(typed: pl.DataFrame, frame: pl.DataFrame, problems: _Problems, labs: list[str]) -> None:
    """Checks across columns: a value needs its unit, ranges run low to high, dates come in order."""
    for code in labs:
        base = f"labs.{code}"
        unit, lln, uln = typed[f"{base}.unit"], typed[f"{base}.lln"], typed[f"{base}.uln"]
        given = typed[f"{base}.value"].is_not_null() | lln.is_not_null() | uln.is_not_null()
        problems.rows(frame, given & unit.is_null(), f"{base}.unit", "a result needs its unit", unit)
        problems.rows(frame, (lln > uln).fill_null(False), f"{base}.lln", "must not be greater than uln", lln)
    for name in typed.columns:
        if name.startswith("judgements.") and name.endswith(".decision"):
            base = name.removesuffix(".decision")
            parts = [typed[f"{base}.{part}"] for part in ("investigator", "date", "reason")]
            incomplete = typed[name].is_not_null() & (parts[0].is_null() | parts[1].is_null() | parts[2].is_null())
            problems.rows(frame, incomplete, name, "a judgement needs investigator, date and reason", typed[name])
            orphan = typed[name].is_null() & (parts[0].is_not_null() | parts[1].is_not_null() | parts[2].is_not_null())
            problems.rows(frame, orphan, name, "a judgement needs its decision", typed[name])
    order: tuple[tuple[str, str, str], ...] = (
        ("birth_date", "consent_date", "must be on or before consent_date"),
        ("consent_date", "baseline_date", "must be on or before baseline_date"),
        ("other_trial_end_date", "consent_date", "must be on or before consent_date"),
    )
    order += tuple(
        (name, "baseline_date", "must be on or before baseline_date")
        for name in typed.columns
        if name.startswith("last_use.") and not name.endswith(".never")
    )
    for earlier, later, message in order:
        problems.rows(frame, (typed[earlier] > typed[later]).fill_null(False), earlier, message, typed[earlier])


def flatten_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A screening record (JSON data) as one table row: ``labs`` by test code, nested objects with dots, ``null``
    dates that mean never as ``never``."""
    row: dict[str, Any] = {}
    for key, value in record.items():
        if key == "labs":
            for lab in value:
                for part in ("value", "unit", "lln", "uln"):
                    row[f"labs.{lab['test']}.{part}"] = lab.get(part)
        elif key == "judgements":
            for criterion, attestation in value.items():
                for part, given in attestation.items():
                    row[f"judgements.{criterion}.{part}"] = given
        elif key in {"assessments", "facts"}:
            row.update({f"{key}.{name}": given for name, given in value.items()})
        elif key == "last_use":
            row.update({f"last_use.{name}": NEVER_TEXT if given is None else given for name, given in value.items()})
        elif key == "other_trial_end_date":
            row[key] = NEVER_TEXT if value is None else value
        else:
            row[key] = value
    return row
