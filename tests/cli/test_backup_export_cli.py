"""dermtrial backup / restore / export csv / export verify end to end, with a source on each engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dermtrial.cli import app
from dermtrial.services import unit_of_work
from dermtrial.services.auth import login
from dermtrial.services.forms import save_form
from dermtrial.store.engine import Database
from dermtrial.store.models import Site, Subject
from tests.conftest import NOW
from tests.services.test_forms import PASI

ADMIN_PW = "first-admin-pw-2026"
USER_PW = "coordinator-pw-2026"


def dermtrial(*args: str, stdin: str = "", user: str | None = None, password: str = ADMIN_PW) -> Any:
    env = {"DERMTRIAL_USER": user, "DERMTRIAL_PASSWORD": password} if user else {}
    return CliRunner().invoke(app, list(args), input=stdin, env=env)


@pytest.fixture
def source(db_url: str) -> str:
    steps: list[tuple[str, ...]] = [
        ("study", "create", "--protocol", "NCT03392311"),
        ("site", "add", "GZ01", "--name", "Guangzhou", "--timezone", "Asia/Shanghai"),
        ("user", "add", "li", "--role", "coordinator", "--site", "GZ01", "--full-name", "Li Na", "--password-stdin"),
        ("user", "add", "stat", "--role", "statistician", "--full-name", "Stat", "--password-stdin"),
    ]
    first = dermtrial("init", "--admin", "root", "--full-name", "Ro Ot", "--password-stdin", "--db", db_url,
                      stdin=ADMIN_PW + "\n")  # fmt: skip
    assert first.exit_code == 0, first.stderr
    for args in steps:
        result = dermtrial(*args, "--db", db_url, stdin=USER_PW + "\n", user="root")
        assert result.exit_code == 0, (args, result.stderr)
    db = Database(db_url)
    try:
        li = login(db, username="li", password=USER_PW, now=NOW).actor
        with db.reading() as session:
            site_id, study_id = session.execute(select(Site.id, Site.study_id)).one()
        with unit_of_work(db, actor=li, now=NOW) as work:
            work.require("subject.enroll", site_id)
            subject = Subject(study_id=study_id, site_id=site_id, screening_number="S-001")
            work.add(subject, study_id=study_id, site_code="GZ01")
        save_form(db, li, subject_id=subject.id, form_code="PASI", item_values=PASI, status="complete", now=NOW)
    finally:
        db.dispose()
    return db_url


@pytest.mark.requirement("REG-EXPORT-01")
def test_export_csv_then_verify_and_a_tampered_file_exits_1(source: str, tmp_path: Path) -> None:
    out = tmp_path / "export"
    made = dermtrial("export", "csv", "--out", str(out), "--json", "--db", source, user="stat", password=USER_PW)
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["rows"]["forms/PASI.csv"] == 1
    assert dermtrial("export", "verify", str(out)).exit_code == 0
    (out / "forms" / "PASI.csv").write_text("forged\n", encoding="utf-8")
    checked = dermtrial("export", "verify", str(out))
    assert checked.exit_code == 1
    assert "forms/PASI.csv: SHA-256 differs" in checked.stdout


def test_export_without_permission_exits_2_naming_the_permission(source: str, tmp_path: Path) -> None:
    refused = dermtrial("export", "csv", "--out", str(tmp_path / "x"), "--site", "GZ01", "--db", source, user="li",
                        password=USER_PW)  # fmt: skip
    assert refused.exit_code == 2
    assert "may not export.raw at site GZ01" in refused.stderr


@pytest.mark.requirement("REG-BACKUP-01")
def test_backup_restore_then_audit_verify_and_a_second_restore_needs_force(source: str, tmp_path: Path) -> None:
    out = tmp_path / "study.backup"
    made = dermtrial("backup", str(out), "--db", source)
    assert made.exit_code == 0, made.stderr
    assert "backup written" in made.stdout
    again = dermtrial("backup", str(out), "--db", source)
    assert again.exit_code == 2  # never overwrites a backup silently
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    restored = dermtrial("restore", str(out), "--db", target, "--json")
    assert restored.exit_code == 0, restored.stderr
    assert json.loads(restored.stdout)["audit"]["ok"] is True
    assert dermtrial("audit", "verify", "--db", target).exit_code == 0
    refused = dermtrial("restore", str(out), "--db", target)
    assert refused.exit_code == 2
    assert "holds data" in refused.stderr
    assert dermtrial("restore", str(out), "--db", target, "--force").exit_code == 0


def test_restore_of_a_file_that_is_no_backup_exits_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a backup")
    refused = dermtrial("restore", str(junk), "--db", f"sqlite:///{tmp_path / 't.db'}")
    assert refused.exit_code == 2
    assert "neither a SQLite backup nor a portable dermtrial backup" in refused.stderr
