"""``dermtrial doctor``: each check on both sides (passes here, fails for a stated reason) and the exit codes."""

from __future__ import annotations

import importlib.metadata
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dermtrial.cli import app
from dermtrial.services.doctor import (
    check_builtin_protocols,
    check_chromium,
    check_dependencies,
    check_python,
    check_time_zones,
    find_lock,
    run_doctor,
)
from dermtrial.store.engine import Database
from tests.conftest import StudySetup


def doctor(*args: str) -> Any:
    return CliRunner().invoke(app, ["doctor", *args])


def test_python_3_11_passes_and_3_10_fails_naming_the_minimum() -> None:
    assert check_python((3, 11, 0)).ok
    assert check_python((3, 13, 1)).ok
    old = check_python((3, 10, 14))
    assert not old.ok
    assert old.detail == "Python 3.10.14; dermtrial needs Python 3.11 or newer"


def test_the_checkout_lock_matches_the_installed_packages() -> None:
    lock = find_lock()
    assert lock is not None
    assert lock.name == "requirements.lock"
    check, versions = check_dependencies(lock)
    assert check.ok, check.detail
    assert versions["sqlalchemy"] == importlib.metadata.version("sqlalchemy")
    assert "tzdata" in versions


def test_a_package_at_another_version_than_the_lock_fails_naming_both(tmp_path: Path) -> None:
    installed = importlib.metadata.version("pyyaml")
    lock = tmp_path / "requirements.lock"
    lock.write_text("pyyaml==0.0.1 \\\n    --hash=sha256:00\nrich==" + importlib.metadata.version("rich") + "\n")
    check, _ = check_dependencies(lock)
    assert not check.ok
    assert check.detail == f"pyyaml {installed} is installed, requirements.lock pins 0.0.1"


def test_without_a_lock_the_installed_versions_are_listed(tmp_path: Path) -> None:
    check, versions = check_dependencies(None)
    assert check.ok
    assert "no lock file" in check.detail
    assert f"weasyprint {versions['weasyprint']}" in check.detail


def test_time_zones_resolve_and_an_unknown_zone_is_named() -> None:
    assert check_time_zones(["Asia/Shanghai", "Europe/Berlin"]).ok
    bad = check_time_zones(["Asia/Shanghai", "Mars/Olympus_Mons"])
    assert not bad.ok
    assert bad.detail.endswith("Mars/Olympus_Mons")


def test_the_builtin_protocols_validate_and_name_their_site_zones() -> None:
    check, zones = check_builtin_protocols()
    assert check.ok, check.detail
    assert "NCT03392311" in check.detail
    assert "Asia/Shanghai" in zones


def test_a_missing_browser_is_informational_and_never_fails_the_run(tmp_path: Path) -> None:
    absent = check_chromium(tmp_path / "chromium")
    assert (absent.ok, absent.required, absent.status) == (False, False, "absent")
    assert check_chromium(tmp_path).ok


@pytest.mark.requirement("REG-SYS-03")
def test_without_a_database_every_check_needing_none_passes_exit_0() -> None:
    result = doctor("--json")
    assert result.exit_code == 0, result.stdout
    body = json.loads(result.stdout)
    names = [check["name"] for check in body["checks"]]
    assert names[:6] == ["python", "dermtrial", "dependencies", "time zones", "built-in protocols", "PDF rendering"]
    assert "database" not in names
    assert body["ok"] is True
    assert body["database"] is None
    pdf = next(check for check in body["checks"] if check["name"] == "PDF rendering")
    assert pdf["status"] == "ok"


def test_the_table_says_database_checks_were_skipped() -> None:
    result = doctor()
    assert result.exit_code == 0
    assert "database checks skipped" in result.stdout
    assert "all required checks pass" in result.stdout


@pytest.mark.requirement("REG-SYS-03")
def test_a_study_database_passes_every_database_check(study: StudySetup, db_url: str) -> None:
    report = run_doctor(study.db)
    by_name = {check.name: check for check in report.checks}
    assert report.ok, [c.as_dict() for c in report.checks if not c.ok]
    assert by_name["migrations"].detail.endswith("(head)")
    assert by_name["audit trail"].ok
    assert by_name["site time zones"].detail.endswith("resolved: Asia/Shanghai")
    result = doctor("--db", db_url, "--json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["ok"] is True


@pytest.mark.requirement("REG-SYS-03", "REG-AUDIT-03")
def test_a_tampered_audit_trail_fails_with_exit_1(study: StudySetup, db_url: str) -> None:
    with study.db.write_connection() as connection:
        if study.db.is_sqlite:
            connection.exec_driver_sql("DROP TRIGGER audit_event_no_update")
        else:
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.exec_driver_sql("UPDATE audit_event SET actor_username = 'mallory' WHERE seq = 3")
    study.db.dispose()
    result = doctor("--db", db_url, "--json")
    assert result.exit_code == 1
    audit = next(check for check in json.loads(result.stdout)["checks"] if check["name"] == "audit trail")
    assert audit["status"] == "failed"
    assert audit["detail"].startswith("broken at event 3:")


@pytest.mark.requirement("REG-SYS-03")
def test_an_empty_database_is_not_at_the_head_migration_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    result = doctor("--db", f"sqlite:///{path}")
    assert result.exit_code == 1
    assert "a required check FAILED" in result.stdout
    as_json = doctor("--db", f"sqlite:///{path}", "--json")
    migrations = next(check for check in json.loads(as_json.stdout)["checks"] if check["name"] == "migrations")
    assert migrations["detail"].startswith("the schema is empty (run dermtrial init), this version needs ")
    db = Database(f"sqlite:///{path}")
    try:
        assert not run_doctor(db).ok
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///{tmp}/missing.db", "no such SQLite file (doctor never creates a database)"),
        ("nonsense://x", "Can't load plugin"),
        ("sqlite://", "in-memory SQLite database cannot be shared"),
    ],
)
def test_a_database_that_cannot_be_opened_exits_2(url: str, message: str, tmp_path: Path) -> None:
    result = doctor("--db", url.format(tmp=tmp_path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "missing.db").exists()


def test_a_server_that_does_not_answer_exits_2() -> None:
    result = doctor("--db", "postgresql://postgres@127.0.0.1:9/none", "--json")
    assert result.exit_code == 2
    database = next(check for check in json.loads(result.stdout)["checks"] if check["name"] == "database")
    assert database["status"] == "failed"
    assert "cannot be reached" in database["detail"]
