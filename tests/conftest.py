"""Database fixtures: every store and services test runs on a SQLite file and on PostgreSQL at 127.0.0.1:5432.

PostgreSQL: one migrated template database per test session (``dermtrial_test_<random>_tpl``), and for each test a
fresh copy of it (``CREATE DATABASE … TEMPLATE``); all of them are dropped when the session ends. SQLite: the
migrated file is copied per test. Tests ask for ``db`` (an empty, migrated database) or ``study`` (set up with roles,
an administrator, a study and two sites).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from dermtrial.services import Actor
from dermtrial.services.accounts import add_user, init_database
from dermtrial.services.auth import login
from dermtrial.services.studies import add_site, create_study
from dermtrial.store.engine import Database
from dermtrial.store.migrate import upgrade

# Hundreds of accounts are made in the suite: hash their passwords with argon2's cheapest profile (the default
# profile is tested on its own in tests/services/test_password_profile.py). CLI subprocesses inherit it.
os.environ.setdefault("DERMTRIAL_ARGON2_PROFILE", "cheapest")

PG_SERVER = os.environ.get("DERMTRIAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
NOW = dt.datetime(2026, 3, 4, 1, 30, tzinfo=dt.UTC)
ADMIN_PASSWORD = "root-pass-2026"
PASSWORD = "user-pass-2026!"


def _maintenance(sql: str) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


class _PostgresDatabases:
    """Makes per-test copies of a migrated template database and drops everything at the end."""

    def __init__(self) -> None:
        self.prefix = f"dermtrial_test_{secrets.token_hex(4)}"
        self.template = f"{self.prefix}_tpl"
        self.made: list[str] = []
        self.counter = itertools.count(1)
        _maintenance(f'CREATE DATABASE "{self.template}"')
        self.made.append(self.template)
        db = Database(f"{PG_SERVER}/{self.template}")
        upgrade(db)
        db.dispose()

    def fresh(self) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        _maintenance(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.made.append(name)
        return f"{PG_SERVER}/{name}"

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        _maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.remove(name)

    def drop_all(self) -> None:
        for name in list(self.made):
            _maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()


@pytest.fixture(scope="session")
def _postgres() -> Iterator[_PostgresDatabases]:
    databases = _PostgresDatabases()
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database on each engine."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "study.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    postgres: _PostgresDatabases = request.getfixturevalue("_postgres")
    url = postgres.fresh()
    try:
        yield url
    finally:
        postgres.drop(url)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """An empty, migrated database (no roles, users or study yet)."""
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()


@dataclass
class StudySetup:
    """A database with roles, an administrator, the NCT03392311 study and two sites (GZ01, SH02)."""

    db: Database
    admin: Actor
    study_id: int
    sites: dict[str, int]

    def user(self, username: str, role: str, site: str | None) -> Actor:
        """Add a user holding ``role`` (at ``site``) and return them signed in."""
        add_user(
            self.db,
            self.admin,
            username=username,
            full_name=username.title(),
            password=PASSWORD,
            role=role,
            site_code=site,
            now=NOW,
        )
        return login(self.db, username=username, password=PASSWORD, now=NOW).actor


@pytest.fixture
def study(db: Database) -> StudySetup:
    """A database set up for a study with two sites in different time zones."""
    init_database(db, username="admin", full_name="Ada Admin", password=ADMIN_PASSWORD, now=NOW)
    admin = login(db, username="admin", password=ADMIN_PASSWORD, now=NOW).actor
    study_id = create_study(db, admin, protocol="NCT03392311", now=NOW)
    sites = {
        "GZ01": add_site(db, admin, code="GZ01", name="Guangzhou", timezone="Asia/Shanghai", now=NOW),
        "SH02": add_site(db, admin, code="SH02", name="Shanghai", timezone="Asia/Shanghai", now=NOW),
    }
    return StudySetup(db, admin, study_id, sites)
