"""docs/audit-trail.md: the stand-alone verifier shown there accepts a real export and catches a change."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dermtrial.store.audit import AuditFilter, iter_events
from tests.conftest import StudySetup

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "audit-trail.md"


def _verifier() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOCUMENT.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1
    return blocks[0]


def _run(directory: Path) -> subprocess.CompletedProcess[str]:
    script = directory / "verify.py"
    script.write_text(_verifier(), encoding="utf-8")
    return subprocess.run([sys.executable, str(script)], cwd=directory, capture_output=True, text=True, check=False)


@pytest.mark.requirement("REG-AUDIT-05")
def test_the_documented_verifier_accepts_an_export_and_refuses_an_altered_one(
    study: StudySetup, tmp_path: Path
) -> None:
    with study.db.reading() as session:
        rows = list(iter_events(session, AuditFilter()))
    (tmp_path / "trail.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    accepted = _run(tmp_path)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.strip() == f"verified up to {rows[-1]['hash']}"

    rows[2]["reason"] = "inserted later"
    (tmp_path / "trail.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    refused = _run(tmp_path)
    assert refused.returncode == 1
    assert "event 3: altered" in refused.stderr
