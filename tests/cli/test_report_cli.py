"""``dermtrial report missing-forms`` through the installed console script, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dermtrial.services.visits import record_visit
from tests.conftest import NOW, PASSWORD, StudySetup
from tests.services.conduct_setup import enrolled, on_study_day

BIN = Path(sys.executable).parent / "dermtrial"


def run(url: str, *args: str, user: str = "nurse.li") -> subprocess.CompletedProcess[str]:
    """Run the real console script as ``user``."""
    env = {**os.environ, "DERMTRIAL_USER": user, "DERMTRIAL_PASSWORD": PASSWORD}
    command = [str(BIN), "report", "missing-forms", "--db", url, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)


def test_missing_forms_per_subject_and_visit(study: StudySetup, db_url: str) -> None:
    case = enrolled(study)
    record_visit(
        study.db, case.crc, subject_id=case.subject_id, visit_code="day1", visit_local=on_study_day(1), now=NOW
    )
    result = run(db_url, "--site", "GZ01", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["missing_forms"]
    first = rows[0]
    assert set(first) == {"site", "subject", "visit", "form", "status", "overdue", "window_end"}
    assert {(r["subject"], r["visit"], r["form"]) for r in rows} >= {("GZ01-E01", "day1", "PASI")}
    assert all(r["overdue"] for r in rows)

    unknown = run(db_url, "--site", "XX99")
    assert unknown.returncode == 2
    assert 'no site "XX99" (sites: GZ01, SH02)' in unknown.stderr
