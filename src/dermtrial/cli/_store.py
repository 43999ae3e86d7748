"""What the database commands share: opening the database, signing the operator in, turning refusals into exit 2.

Commands that change the study database act as a named user (``--as USERNAME`` or ``DERMTRIAL_USER``), whose
password is read from ``DERMTRIAL_PASSWORD`` or asked for on the terminal; the command signs in, does its one use
case and signs out, so that every change is attributed and the sign-in is audited like any other.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeVar

import typer
from sqlalchemy.exc import ArgumentError, OperationalError

from dermtrial.cli._common import bad_usage, database_url, exit_bad_input
from dermtrial.errors import InvalidInput
from dermtrial.services import Actor, ServiceError
from dermtrial.services.auth import login, logout
from dermtrial.store import Database, utc_now
from dermtrial.store.migrate import current_revision, head_revision

USER_ENV = "DERMTRIAL_USER"
PASSWORD_ENV = "DERMTRIAL_PASSWORD"

DB_OPTION = typer.Option(
    None, "--db", help="Database URL (default: DERMTRIAL_DATABASE_URL, then sqlite:///dermtrial.db)."
)
AS_OPTION = typer.Option(
    None, "--as", help="Act as this user (default: DERMTRIAL_USER); password from DERMTRIAL_PASSWORD."
)

T = TypeVar("T")


@contextmanager
def database(option: str | None, *, must_be_initialised: bool = True) -> Iterator[Database]:
    """Open the database named by ``--db`` (or its defaults) for one command, closing its connections after it.

    Exits 2 when it cannot be opened or, with ``must_be_initialised``, is empty or at an older schema revision.
    """
    url = database_url(option)
    try:
        db = Database(url)
    except (ArgumentError, ValueError) as exc:
        bad_usage(f"--db {url}: {exc}")
    try:
        if must_be_initialised:
            _check_schema(db)
        yield db
    finally:
        db.dispose()


def _check_schema(db: Database) -> None:
    try:
        current = current_revision(db)
    except OperationalError as exc:
        bad_usage(f"cannot open the database {db.url.render_as_string(hide_password=True)}: {exc.orig}")
    if current is None:
        bad_usage(f"the database {db.url.render_as_string(hide_password=True)} is empty: run dermtrial init first")
    if current != head_revision(db):
        bad_usage(f"the database is at schema revision {current}; run dermtrial db upgrade first")


def refused(error: ServiceError | InvalidInput) -> NoReturn:
    """Print the problems of a refused use case and exit 2."""
    exit_bad_input(error.problems)


def run(call: Callable[[], T]) -> T:
    """Run one use case; a refusal becomes exit 2 with its problems on stderr."""
    try:
        return call()
    except (ServiceError, InvalidInput) as exc:
        refused(exc)
    except OperationalError as exc:
        bad_usage(f"the database refused the operation: {exc.orig}")


def read_secret_stdin(what: str) -> str:
    """The first line of stdin (a password), without its line end; exit 2 when empty."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        bad_usage(f"--password-stdin: no {what} on standard input")
    return line


@contextmanager
def signed_in(db: Database, username: str | None) -> Iterator[Actor]:
    """Sign the operator in for one command and out after it (both audited)."""
    name = username or os.environ.get(USER_ENV)
    if not name:
        bad_usage(f"say who you are: --as USERNAME (or {USER_ENV})")
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            bad_usage(f"no password for {name}: set {PASSWORD_ENV} or run from a terminal")
        password = getpass.getpass(f"password for {name}: ")
    session = run(lambda: login(db, username=name, password=password, now=utc_now()))
    try:
        yield session.actor
    finally:
        logout(db, token=session.token, now=utc_now())
