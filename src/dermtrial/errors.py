"""The one error shape of dermtrial.

Every bad input, wherever it is found (a protocol file, a JSON batch for ``dermtrial score``, later a form or an API
request), becomes a list of :class:`Problem`: where (source, line, field path), what was given, and what is allowed.
The CLI prints one line per problem on stderr and exits 2; the web layer answers 4xx with the same fields.

Exception tree::

    DermtrialError
    └── InvalidInput            bad input: carries problems; CLI exit 2, HTTP 422
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """``("visits", 3, "window")`` → ``visits[3].window``; an empty path is ``(top level)``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


_MISSING = object()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: the field path, the value given and the message saying what is allowed."""

    path: Path
    message: str
    source: str | None = None
    line: int | None = None
    column: int | None = None
    value: Any = field(default=_MISSING, compare=False)

    def format(self) -> str:
        """``FILE:LINE: path: message`` with the parts that are known."""
        where = ""
        if self.source is not None:
            where = self.source
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{format_path(self.path)}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """The JSON error shape shared by the CLI (``--json``) and the API."""
        out: dict[str, Any] = {"path": format_path(self.path), "message": self.message}
        if self.source is not None:
            out["source"] = self.source
        if self.line is not None:
            out["line"] = self.line
        return out


class DermtrialError(Exception):
    """Base of every error dermtrial raises on purpose."""


class InvalidInput(DermtrialError):
    """Input that cannot be accepted; carries one :class:`Problem` per fault."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.format() for p in self.problems))


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    return str(value)


def _message(error: dict[str, Any]) -> str:
    """Turn one pydantic error into a sentence naming the value and what is allowed."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    shown = _show(value)
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (not part of the format)"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        symbol = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
        bound = next(iter(ctx.values()))
        return f"{shown} is not allowed: must be {symbol[kind]} {bound}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"{shown} is not allowed: expected a whole number"
    if kind in {"float_type", "float_parsing", "decimal_type", "decimal_parsing"}:
        return f"{shown} is not allowed: expected a number"
    if kind in {"string_type"}:
        return f"{shown} is not allowed: expected text"
    if kind in {"bool_type", "bool_parsing"}:
        return f"{shown} is not allowed: expected true or false"
    if kind in {"list_type"}:
        return f"{shown} is not allowed: expected a list"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"{shown} is not allowed: expected a mapping of fields"
    if kind in {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}:
        return f"{shown} is not allowed: expected a date YYYY-MM-DD"
    if kind == "literal_error" or kind == "enum":
        return f"{shown} is not allowed: expected {ctx.get('expected', 'one of the listed values')}"
    if kind == "string_pattern_mismatch":
        return f"{shown} is not allowed: must match {ctx.get('pattern')}"
    if kind in {"too_short", "too_long"}:
        return f"{error['msg'][0].lower()}{error['msg'][1:]}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in {"rule", "condition"}:  # our own discriminated unions
        return str(error["msg"])
    if kind == "union_tag_invalid":
        return f"{_show(ctx.get('tag'))} is not allowed: expected {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"the field {ctx.get('discriminator')} is required to tell which kind this is"
    return f"{shown} is not allowed: {error['msg']}"


def problems_from_validation_error(exc: ValidationError, prefix: Path = ()) -> list[Problem]:
    """Convert pydantic's errors to problems, dropping pydantic's internal tags (``function-after`` …) from paths."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        path = tuple(
            part
            for part in error["loc"]
            if not (isinstance(part, str) and ("[" in part or part.startswith("function-")))
        )
        problems.append(Problem(path=prefix + path, message=_message(dict(error)), value=error.get("input")))
    return problems


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Order problems by line, then path, so that output is stable."""
    return sorted(problems, key=lambda p: (p.line or 0, format_path(p.path), p.message))
