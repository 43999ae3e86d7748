"""Conventions every dermtrial command follows (documented in docs/cli.md).

- ``--json`` prints machine output on stdout; without it, output is for people (rich).
- Exit 0 on success, 1 when a check ran and found problems, 2 on bad input or usage.
- Errors go to stderr, one line per problem, naming the file, the line, the field path, the value and what is allowed.
- The database is chosen with ``--db URL`` or ``DERMTRIAL_DATABASE_URL``; the default is a SQLite file in the working
  directory.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from dermtrial.errors import Problem, sort_problems

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2

DATABASE_ENV = "DERMTRIAL_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///dermtrial.db"

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True, highlight=False)


def database_url(option: str | None) -> str:
    """``--db`` wins, then ``DERMTRIAL_DATABASE_URL``, then a SQLite file in the working directory."""
    return option or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE_URL


def print_json(data: Any) -> None:
    """Write JSON to stdout (plain, so that other tools can read it)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_problems(problems: Iterable[Problem]) -> None:
    """One line per problem on stderr."""
    for problem in sort_problems(problems):
        stderr.print(problem.format(), markup=False)


def exit_bad_input(problems: Iterable[Problem]) -> NoReturn:
    """Report bad input and exit 2."""
    print_problems(problems)
    raise typer.Exit(EXIT_BAD_INPUT)


def bad_usage(message: str) -> NoReturn:
    """Report a usage error (not a field problem) and exit 2."""
    stderr.print(f"error: {message}", markup=False)
    raise typer.Exit(EXIT_BAD_INPUT)


def read_text_input(path: Path | None) -> tuple[str, str]:
    """Read a file, or stdin when ``path`` is None or ``-``; return (text, name used in messages)."""
    if path is None or str(path) == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except FileNotFoundError:
        bad_usage(f"{path}: no such file")
    except UnicodeDecodeError:
        bad_usage(f"{path}: not UTF-8 text")
    except IsADirectoryError:
        bad_usage(f"{path}: is a directory, not a file")


class _NotJson(ValueError):
    """JSON that the standard parser accepts but dermtrial's inputs do not (NaN, Infinity, a repeated key)."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _NotJson(f'the key "{key}" appears twice in one object')
        out[key] = value
    return out


def parse_json_input(text: str, source: str) -> Any:
    """Parse a command's JSON input exactly (fractions as decimals); malformed input exits 2 naming line and column."""
    try:
        return json.loads(
            text, parse_float=Decimal, parse_constant=_refuse_constant, object_pairs_hook=_no_repeated_keys
        )
    except json.JSONDecodeError as exc:
        exit_bad_input([Problem((), f"not valid JSON: {exc.msg}", source, exc.lineno, exc.colno)])
    except _NotJson as exc:
        exit_bad_input([Problem((), f"not valid input: {exc}", source)])
