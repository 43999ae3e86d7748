"""``dermtrial casebook SUBJECT --out FILE.pdf`` through the installed console script, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PASSWORD, StudySetup
from tests.reports.casebook_setup import carried_subject
from tests.reports.pages import pdf_text

BIN = Path(sys.executable).parent / "dermtrial"


def run(url: str, *args: str, user: str = "dr.wang") -> subprocess.CompletedProcess[str]:
    """Run the real console script as ``user``."""
    env = {**os.environ, "DERMTRIAL_USER": user, "DERMTRIAL_PASSWORD": PASSWORD}
    command = [str(BIN), "casebook", *args, "--db", url]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)


def test_casebook_writes_the_pdf_and_refuses_bad_targets(study: StudySetup, db_url: str, tmp_path: Path) -> None:
    carried = carried_subject(study)
    out = tmp_path / "casebook.pdf"
    done = run(db_url, carried.number, "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary == {
        "file": str(out),
        "subject": carried.number,
        "site": "GZ01",
        "forms": 2,
        "audit_seq": summary["audit_seq"],
    }
    text = " ".join(pdf_text(out).split())
    assert "70.5 72.3 scale read wrongly" in text

    folder = run(db_url, carried.number, "--out", str(tmp_path))
    assert folder.returncode == 2
    assert "is a folder" in folder.stderr

    unknown = run(db_url, "GZ01-E77", "--out", str(tmp_path / "unknown.pdf"))
    assert unknown.returncode == 2
    assert 'no subject "GZ01-E77"' in unknown.stderr
    assert not (tmp_path / "unknown.pdf").exists()

    study.user("co.sh", "coordinator", "SH02")
    other = run(db_url, carried.number, "--out", str(tmp_path / "other.pdf"), user="co.sh")
    assert other.returncode == 2
    assert f'no subject "{carried.number}"' in other.stderr
    assert not (tmp_path / "other.pdf").exists()
