"""Reading the inputs shared by ``dermtrial dose`` and ``dermtrial schedule``: the protocol, a weight, a date.

Each refusal exits 2 with one stderr line naming the option, the value given and what is allowed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from dermtrial.cli._common import exit_bad_input
from dermtrial.errors import InvalidInput, Problem
from dermtrial.protocol.builtin import builtin_ids, resolve
from dermtrial.protocol.loader import load_text
from dermtrial.protocol.model import Protocol

ProtocolOption = Annotated[
    str, typer.Option("--protocol", "-p", help="A built-in registry id (NCT03392311, NCT04275024) or a protocol file.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine output (JSON) on stdout.")]


def protocol_from_option(value: str) -> Protocol:
    """The protocol named by ``--protocol``, or exit 2 naming the value and the built-in ids."""
    try:
        text, source = resolve(value)
    except (FileNotFoundError, UnicodeDecodeError, IsADirectoryError):
        allowed = ", ".join(builtin_ids())
        exit_bad_input(
            [
                Problem(
                    ("--protocol",), f'"{value}" is not allowed: expected a built-in id ({allowed}) or a protocol file'
                )
            ]
        )
    try:
        return load_text(text, source)
    except InvalidInput as exc:
        exit_bad_input(exc.problems)


def decimal_from_option(option: str, value: str, what: str) -> Decimal:
    """A number given on the command line, read exactly, or exit 2."""
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        exit_bad_input([Problem((option,), f'"{value}" is not allowed: expected {what}')])
    return number


def date_from_option(option: str, value: str) -> dt.date:
    """An ISO date given on the command line, or exit 2."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        exit_bad_input([Problem((option,), f'"{value}" is not allowed: expected a date YYYY-MM-DD')])
