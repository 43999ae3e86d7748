"""The database commands, end to end on SQLite and PostgreSQL: set-up, refusals (exit 2, nothing changed), audit."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from dermtrial.cli import app
from dermtrial.store.engine import Database
from tests.services.helpers import events

ADMIN_PW = "first-admin-pw-2026"
USER_PW = "coordinator-pw-2026"


def dermtrial(url: str, *args: str, stdin: str = "", user: str | None = "root", password: str = ADMIN_PW) -> Any:
    env = {"DERMTRIAL_USER": user, "DERMTRIAL_PASSWORD": password} if user else {}
    return CliRunner().invoke(app, [*args, "--db", url], input=stdin, env=env)


@pytest.fixture
def setup(db_url: str) -> str:
    steps: list[tuple[tuple[str, ...], str]] = [
        (("init", "--admin", "root", "--full-name", "Ro Ot", "--password-stdin"), ADMIN_PW + "\n"),
        (("study", "create", "--protocol", "NCT03392311"), ""),
        (("site", "add", "GZ01", "--name", "Guangzhou", "--timezone", "Asia/Shanghai"), ""),
        (("site", "add", "SH02", "--name", "Shanghai", "--timezone", "Asia/Shanghai", "--city", "Shanghai"), ""),
        (("user", "add", "li", "--role", "coordinator", "--site", "GZ01", "--full-name", "Li Na",
          "--password-stdin"), USER_PW + "\n"),
    ]  # fmt: skip
    for args, stdin in steps:
        result = dermtrial(db_url, *args, stdin=stdin)
        assert result.exit_code == 0, (args, result.stderr)
    return db_url


def _trail(url: str) -> list[dict[str, Any]]:
    db = Database(url)
    try:
        return events(db)
    finally:
        db.dispose()


def test_set_up_grant_revoke_and_verify(setup: str) -> None:
    assert dermtrial(setup, "user", "grant", "li", "--role", "coordinator", "--site", "SH02").exit_code == 0
    revoked = dermtrial(setup, "user", "revoke", "li", "--role", "coordinator", "--site", "SH02", "--reason", "moved")
    assert revoked.exit_code == 0, revoked.stderr
    verified = dermtrial(setup, "audit", "verify", "--json")
    assert verified.exit_code == 0
    report = json.loads(verified.stdout)
    assert report["ok"] is True
    assert report["events"] == len(_trail(setup))
    kinds = [e["event_type"] for e in _trail(setup)]
    assert kinds[:3] == ["config-change", "create", "role-grant"]
    assert {"study-create", "role-revoke", "login", "logout"} <= set(kinds)


def test_init_twice_adds_nobody_and_upgrade_is_idempotent(setup: str) -> None:
    again = dermtrial(setup, "init", "--admin", "eve", "--full-name", "Eve", "--password-stdin", stdin=ADMIN_PW + "\n")
    assert again.exit_code == 0
    assert "no user added" in again.stdout
    upgraded = dermtrial(setup, "db", "upgrade")
    assert upgraded.exit_code == 0
    assert "already at revision" in upgraded.stdout


REFUSALS = [
    (("user", "add", "mo", "--role", "nurse", "--site", "GZ01", "--full-name", "Mo", "--password-stdin"),
     USER_PW, '"nurse" is not a role: expected one of administrator'),
    (("user", "add", "mo", "--role", "monitor", "--site", "XX", "--full-name", "Mo", "--password-stdin"),
     USER_PW, 'site: no site "XX" (sites: GZ01, SH02)'),
    (("user", "add", "mo", "--role", "monitor", "--full-name", "Mo", "--password-stdin"),
     USER_PW, "the role monitor is granted per site: give --site CODE"),
    (("user", "add", "li", "--role", "monitor", "--site", "GZ01", "--full-name", "Li", "--password-stdin"),
     USER_PW, 'a user "li" already exists'),
    (("user", "add", "mo", "--role", "monitor", "--site", "GZ01", "--full-name", "Mo", "--password-stdin"),
     "short-1", "the password is too weak: a password needs 12 to 128 characters"),
    (("user", "revoke", "li", "--role", "coordinator", "--site", "GZ01", "--reason", " "),
     "", "revoking a role needs a reason"),
    (("site", "add", "BJ03", "--name", "Beijing", "--timezone", "China/Beijing"),
     "", '"China/Beijing" is not an IANA time zone'),
    (("study", "create", "--protocol", "NCT03392311"), "", "a study of NCT03392311 already exists"),
]  # fmt: skip


# The refusals are the services' (tested on both engines in tests/services); here the CLI's side of them, on SQLite.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("args", "stdin", "message"), REFUSALS)
def test_bad_input_exits_2_naming_the_fault_and_the_trail_gains_only_the_sign_in(
    setup: str, args: tuple[str, ...], stdin: str, message: str
) -> None:
    before = len(_trail(setup))
    result = dermtrial(setup, *args, stdin=stdin + "\n")
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    added = [e["event_type"] for e in _trail(setup)[before:]]
    assert added in ([], ["login", "logout"])


def test_a_write_without_permission_exits_2_and_changes_nothing(setup: str) -> None:
    before = len(_trail(setup))
    result = dermtrial(setup, "site", "add", "BJ03", "--name", "B", "--timezone", "Asia/Shanghai", user="li",
                       password=USER_PW)  # fmt: skip
    assert result.exit_code == 2
    assert 'user "li" may not site.manage at every site; none of their roles holds it' in result.stderr
    assert [e["event_type"] for e in _trail(setup)[before:]] == ["login", "logout"]


@pytest.mark.requirement("REG-ACCESS-02")
def test_a_wrong_operator_password_exits_2_and_is_audited(setup: str) -> None:
    result = dermtrial(setup, "site", "add", "BJ03", "--name", "B", "--timezone", "Asia/Shanghai", password="nope")
    assert result.exit_code == 2
    assert "unknown user name or wrong password" in result.stderr
    assert _trail(setup)[-1]["event_type"] == "login-failed"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_commands_on_an_empty_database_say_to_run_init(db_url: str) -> None:
    result = dermtrial(db_url.replace("/study.db", "/empty.db"), "audit", "verify")
    assert result.exit_code == 2
    assert "is empty: run dermtrial init first" in result.stderr


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_init_needs_the_password_on_stdin(db_url: str) -> None:
    result = dermtrial(db_url, "init", "--admin", "root", "--full-name", "Ro Ot")
    assert result.exit_code == 2
    assert "--password-stdin" in result.stderr


@pytest.mark.requirement("REG-AUDIT-05")
def test_export_csv_and_json_with_filters(setup: str) -> None:
    every = dermtrial(setup, "audit", "export", "--format", "csv")
    assert every.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(every.stdout)))
    assert [int(r["seq"]) for r in rows] == list(range(1, len(rows) + 1))
    sites = json.loads(dermtrial(setup, "audit", "export", "--format", "json", "--entity", "site").stdout)
    assert [(e["event_type"], e["site_code"]) for e in sites] == [("create", "GZ01"), ("create", "SH02")]
    one = json.loads(dermtrial(setup, "audit", "export", "--format", "json", "--entity", "site:2").stdout)
    assert [e["site_code"] for e in one] == ["SH02"]
    none = json.loads(dermtrial(setup, "audit", "export", "--format", "json", "--until", "2000-01-01").stdout)
    assert none == []
    since = json.loads(dermtrial(setup, "audit", "export", "--format", "json", "--since", "2000-01-01").stdout)
    assert len(since) == len(rows)
    bad = dermtrial(setup, "audit", "export", "--since", "yesterday")
    assert bad.exit_code == 2
    assert "expected a date YYYY-MM-DD" in bad.stderr


@pytest.mark.requirement("REG-AUDIT-03")
def test_verify_exits_1_naming_the_first_tampered_event(setup: str) -> None:
    db = Database(setup)
    try:
        with db.write_connection() as connection:
            if db.is_sqlite:
                connection.exec_driver_sql("DROP TRIGGER audit_event_no_update")
            else:
                connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            connection.exec_driver_sql("UPDATE audit_event SET actor_username = 'mallory' WHERE seq = 5")
    finally:
        db.dispose()
    result = dermtrial(setup, "audit", "verify")
    assert result.exit_code == 1
    assert "audit trail BROKEN at event 5: stored hash" in result.stdout
