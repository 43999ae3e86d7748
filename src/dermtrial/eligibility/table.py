"""The screening table: one candidate per row, the columns being the screening record's fields, flattened.

A column is named by the record field's path with dots: ``consent_date``, ``assessments.pasi``,
``labs.CA.value`` / ``labs.CA.unit`` / ``labs.CA.lln`` / ``labs.CA.uln``, ``last_use.biologic``,
``facts.psoriasis_type``, ``judgements.E10.decision`` / ``.investigator`` / ``.date`` / ``.reason``. Which columns
exist follows from the protocol (:func:`table_columns`); a column left out is unknown for every row, an empty cell is
unknown for that row. ``never`` in a ``last_use.*`` or ``other_trial_end_date`` cell means never (the record's
``null``). Item-level forms (PASI items, Zung answers) are not table columns: give the derived values.

:func:`prepare_frame` types a raw table (every cell may be text, as from CSV) as a lazy query and lists the checks
to run on it; the problems name the row index and column, never guessing: a bad row is bad input for the whole
table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
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


@dataclass(frozen=True)
class Check:
    """A check over the typed table: rows where ``mask`` is true are bad in ``column`` (shown from the raw table)."""

    column: str
    message: str
    mask: pl.Expr


UNIT_INDEX = ".index"
"""Suffix of the typed table's column holding the position of a row's unit in ``Prepared.units[code]``."""
PRESENT = ".given"
"""Suffix of the typed table's flag saying a raw cell was not empty (so that a cell that failed to parse is seen)."""


def _typed(column: Column, dtype: pl.DataType | None) -> tuple[list[pl.Expr], list[Check]]:
    """The typed column(s) for one raw column and the checks on them, written over the typed columns."""
    name = column.name
    raw = pl.col(name) if dtype is not None else pl.lit(None, dtype=pl.String)
    text = raw if dtype == pl.String else raw.cast(pl.String)
    typed, given = pl.col(name), pl.col(f"{name}{PRESENT}")
    present = [raw.is_not_null().alias(f"{name}{PRESENT}")]
    if column.kind in {"date", "date_or_never"}:
        if dtype is not None and dtype.is_temporal():
            return [raw.cast(pl.Date).alias(name), pl.lit(False).alias(f"{name}.never")], []
        never = (text == NEVER_TEXT).fill_null(False) if column.kind == "date_or_never" else pl.lit(False)
        exprs = [text.str.to_date("%Y-%m-%d", strict=False).alias(name), never.alias(f"{name}.never"), *present]
        allowed = "expected a date YYYY-MM-DD" + (" or never" if column.kind == "date_or_never" else "")
        return exprs, [Check(name, allowed, given & typed.is_null() & ~pl.col(f"{name}.never"))]
    if column.kind == "number":
        numbers = pl.lit(None, dtype=pl.Float64) if dtype == pl.Boolean else raw.cast(pl.Float64, strict=False)
        unreadable = given & (typed.is_null() | typed.is_nan() | typed.is_infinite())
        what = "a whole number" if column.whole else "a number"
        high = column.high if column.high is not None and column.high != float("inf") else None
        rule = f"must be {what} >= {column.low:g}" if high is None else f"must be {what} {column.low:g}–{high:g}"
        outside = pl.lit(False)
        if column.low is not None:
            outside = outside | (typed < column.low)
        if high is not None:
            outside = outside | (typed > high)
        if column.whole:
            outside = outside | (typed != typed.floor())
        checks = [
            Check(name, "expected a number", unreadable),
            Check(name, rule, outside.fill_null(False) & ~unreadable),
        ]
        return [numbers.alias(name), *present], checks
    if column.kind == "boolean":
        if dtype == pl.Boolean:
            return [raw.alias(name)], []
        lowered = text.str.strip_chars().str.to_lowercase()
        booleans = lowered.replace_strict({"true": True, "false": False}, default=None, return_dtype=pl.Boolean)
        return [booleans.alias(name), *present], [Check(name, "expected true or false", given & typed.is_null())]
    if column.kind == "unit":
        # The position of the row's unit among the allowed spellings (null: not allowed), for a cheap conversion.
        code: Any = pl
        for index, unit in enumerate(column.allowed):
            code = code.when(text == unit).then(pl.lit(index, dtype=pl.UInt8))
        code = pl.lit(None, dtype=pl.UInt8) if code is pl else code.otherwise(None)
        allowed = f"{name.split('.')[1]} results are reported in {column.description}"
        check = Check(name, allowed, typed.is_not_null() & pl.col(f"{name}{UNIT_INDEX}").is_null())
        return [text.alias(name), code.alias(f"{name}{UNIT_INDEX}")], [check]
    checks = []
    if column.kind in {"code", "decision"}:
        allowed = f"expected one of {', '.join(column.allowed)}"
        checks.append(Check(name, allowed, typed.is_not_null() & ~typed.is_in(list(column.allowed))))
    if column.kind == "text" and name.startswith("judgements."):
        checks.append(Check(name, "must not be empty", typed.str.len_bytes() == 0))
    return [text.alias(name)], checks


def _cross_checks(columns: list[Column]) -> list[Check]:
    """Checks across columns: a value needs its unit, ranges run low to high, dates come in order, judgements whole."""
    checks: list[Check] = []
    names = [column.name for column in columns]
    for name in names:
        if name.startswith("labs.") and name.endswith(".unit"):
            base = name.removesuffix(".unit")
            unit, lln, uln = pl.col(name), pl.col(f"{base}.lln"), pl.col(f"{base}.uln")
            given = pl.col(f"{base}.value").is_not_null() | lln.is_not_null() | uln.is_not_null()
            checks.append(Check(name, "a result needs its unit", given & unit.is_null()))
            checks.append(Check(f"{base}.lln", "must not be greater than uln", (lln > uln).fill_null(False)))
        if name.startswith("judgements.") and name.endswith(".decision"):
            base = name.removesuffix(".decision")
            parts = [pl.col(f"{base}.{part}").is_null() for part in ("investigator", "date", "reason")]
            decision = pl.col(name)
            message = "a judgement needs investigator, date and reason"
            checks.append(Check(name, message, decision.is_not_null() & pl.any_horizontal(*parts)))
            orphan = decision.is_null() & ~pl.all_horizontal(*parts)
            checks.append(Check(name, "a judgement needs its decision", orphan))
    order = [
        ("birth_date", "consent_date", "must be on or before consent_date"),
        ("consent_date", "baseline_date", "must be on or before baseline_date"),
        ("other_trial_end_date", "consent_date", "must be on or before consent_date"),
    ]
    order += [
        (name, "baseline_date", "must be on or before baseline_date") for name in names if name.startswith("last_use.")
    ]
    for earlier, later, message in order:
        checks.append(Check(earlier, message, (pl.col(earlier) > pl.col(later)).fill_null(False)))
    return checks


@dataclass(frozen=True)
class Prepared:
    """A raw table made ready: the typed table as a lazy query, the checks to run on it, and what is already known
    to be wrong (unknown columns)."""

    typed: pl.LazyFrame
    units: dict[str, list[str]]
    """For each lab, the unit spellings found in the table that its test allows."""
    checks: list[Check]
    problems: list[Problem]

    def counts(self, typed: pl.LazyFrame | None = None) -> pl.LazyFrame:
        """One row: how many rows fail each check (column ``i`` for check i), over ``typed`` (by default the query)."""
        source = self.typed if typed is None else typed
        return source.select(c.mask.fill_null(False).sum().alias(str(i)) for i, c in enumerate(self.checks))

    def report(self, frame: pl.DataFrame, counts: tuple[int, ...], first_row: int = 0) -> list[Problem]:
        """Every problem, each bad cell named by row and column with the raw value, at most MAX_PROBLEMS lines."""
        problems = list(self.problems)
        more = 0
        for check, count in zip(self.checks, counts, strict=True):
            take = max(min(count, MAX_PROBLEMS - len(problems)), 0)
            more += count - take
            if not take:
                continue
            rows = self.typed.with_row_index("__row").filter(check.mask).select("__row").head(take).collect()
            shown_column = frame.get_column(check.column) if check.column in frame.columns else None
            values = [None] * rows.height if shown_column is None else shown_column.gather(rows["__row"]).to_list()
            for row, value in zip(rows["__row"].to_list(), values, strict=True):
                shown = "empty" if value is None else f'"{value}"' if isinstance(value, str) else str(value)
                message = f"{shown} is not allowed: {check.message}"
                problems.append(Problem((first_row + row, check.column), message, value=value))
        if more:
            problems.append(Problem((), f"… and {more} more problems"))
        return problems


def prepare_frame(protocol: Protocol, frame: pl.DataFrame) -> Prepared:
    """The typed screening table (every protocol column present, absent ones as nulls) and its checks."""
    columns = table_columns(protocol)
    known = {column.name for column in columns}
    problems = [
        Problem((name,), "unknown column (see docs/eligibility.md for the columns)")
        for name in frame.columns
        if name not in known
    ]
    schema = frame.schema
    exprs: list[pl.Expr] = []
    checks: list[Check] = []
    units: dict[str, list[str]] = {}
    tests = {test.code: test for test in protocol.safety.lab_tests}
    for column in columns:
        if column.kind == "unit" and column.name in schema:
            code = column.name.split(".")[1]
            seen = frame.get_column(column.name).cast(pl.String).unique().drop_nulls().to_list()
            units[code] = [unit for unit in seen if check_unit(tests[code], unit) is None]
            column = replace(column, allowed=tuple(units[code]), description=", ".join(column.allowed))
        typed_exprs, column_checks = _typed(column, schema.get(column.name))
        exprs += typed_exprs
        checks += [check for check in column_checks if column.name in schema]
    checks += _cross_checks(columns)
    return Prepared(frame.lazy().select(exprs), units, checks, problems)


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
