"""``dermtrial study lock|unlock`` and ``dermtrial cut create|verify`` end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dermtrial.cli import app
from dermtrial.services.auth import login
from dermtrial.services.studies import update_site
from dermtrial.store.base import utc_now
from dermtrial.store.engine import Database

ADMIN_PW = "first-admin-pw-2026"
DM_PW = "data-manager-pw-2026"


def dermtrial(url: str, *args: str, stdin: str = "", user: str = "root", password: str = ADMIN_PW) -> Any:
    env = {"DERMTRIAL_USER": user, "DERMTRIAL_PASSWORD": password}
    return CliRunner().invoke(app, [*args, "--db", url], input=stdin, env=env)


@pytest.fixture
def setup(db_url: str) -> str:
    steps: list[tuple[tuple[str, ...], str]] = [
        (("init", "--admin", "root", "--full-name", "Ro Ot", "--password-stdin"), ADMIN_PW + "\n"),
        (("study", "create", "--protocol", "NCT03392311"), ""),
        (("site", "add", "GZ01", "--name", "Guangzhou", "--timezone", "Asia/Shanghai"), ""),
        (("user", "add", "dm1", "--role", "data-manager", "--full-name", "Dee One", "--password-stdin"), DM_PW + "\n"),
        (("user", "add", "dm2", "--role", "data-manager", "--full-name", "Dee Two", "--password-stdin"), DM_PW + "\n"),
    ]
    for args, stdin in steps:
        result = dermtrial(db_url, *args, stdin=stdin)
        assert result.exit_code == 0, (args, result.stderr)
    return db_url


@pytest.mark.requirement("REG-INTEG-06")
def test_the_study_lock_takes_two_people(setup: str) -> None:
    def as_dm(user: str, *args: str) -> Any:
        return dermtrial(setup, "study", *args, user=user, password=DM_PW)

    requested = as_dm("dm1", "lock", "--reason", "final analysis")
    assert (requested.exit_code, requested.stdout.split(" (")[0]) == (0, "study: lock-requested")
    own = as_dm("dm1", "lock", "--confirm")
    assert own.exit_code == 2
    assert 'two-person rule: user "dm1" requested the study lock and cannot confirm it' in own.stderr
    assert as_dm("dm2", "lock", "--confirm").stdout.strip() == "study: locked"
    both = as_dm("dm2", "unlock", "--reason", "x", "--confirm")
    assert both.exit_code == 2
    assert "give exactly one of --reason TEXT (request), --confirm, or --withdraw --reason TEXT" in both.stderr
    assert as_dm("dm2", "unlock", "--reason", "late data").exit_code == 0
    assert as_dm("dm2", "unlock", "--withdraw", "--reason", "not needed").stdout.strip() == "study: locked"
    assert as_dm("dm2", "unlock", "--reason", "late data").exit_code == 0
    assert as_dm("dm1", "unlock", "--confirm").stdout.strip() == "study: unlocked"
    refused = dermtrial(setup, "study", "lock", "--reason", "admin tries")
    assert refused.exit_code == 2
    assert 'user "root" may not lock.study' in refused.stderr


def test_a_cut_is_created_checked_and_found_changed(setup: str, tmp_path: Path) -> None:
    made = dermtrial(
        setup,
        "cut",
        "create",
        "interim-1",
        "--reason",
        "DSMB",
        "--out",
        str(tmp_path),
        "--json",
        user="dm1",
        password=DM_PW,
    )
    assert made.exit_code == 0, made.stderr
    cut = json.loads(made.stdout)
    assert cut["records"] == 1  # the site
    assert hashlib.sha256((tmp_path / "interim-1.jsonl").read_bytes()).hexdigest() == cut["snapshot_sha256"]
    checked = dermtrial(setup, "cut", "verify", str(cut["id"]))
    assert checked.exit_code == 0
    assert checked.stdout.startswith(f"data cut {cut['id']} verified: 1 records, sha256 {cut['snapshot_sha256']}")
    db = Database(setup)
    try:
        admin = login(db, username="root", password=ADMIN_PW, now=utc_now()).actor
        update_site(
            db,
            admin,
            code="GZ01",
            changes={"name": "Guangzhou First"},
            expected_version=1,
            reason="renamed",
            now=utc_now(),
        )
    finally:
        db.dispose()
    changed = dermtrial(setup, "cut", "verify", str(cut["id"]), "--json")
    assert changed.exit_code == 1
    report = json.loads(changed.stdout)
    assert report["ok"] is False
    [change] = report["changed_since"]
    assert " update site 1 name at " in change
    missing = dermtrial(setup, "cut", "verify", "99")
    assert (missing.exit_code, "no data cut 99" in missing.stderr) == (2, True)
