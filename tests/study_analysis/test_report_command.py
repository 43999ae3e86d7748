"""``dermtrial report --db URL --out DIR`` through the installed console script on the small study, SQLite and
PostgreSQL: endpoints.json checked by hand, the report written, nothing but the sign-in and sign-out recorded, a
data cut reported on while it verifies and refused (exit 1) once changed, a user without read permission refused."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scipy import stats

from dermtrial.services.datacut import create_data_cut
from dermtrial.services.subjects import set_study_status
from tests.conftest import NOW, PASSWORD, StudySetup
from tests.services.helpers import events
from tests.study_analysis.study_setup import SmallStudy

BIN = Path(sys.executable).parent / "dermtrial"


def report(url: str, *args: str, user: str = "stat.zhao") -> subprocess.CompletedProcess[str]:
    """Run the real console script as ``user``."""
    env = {**os.environ, "DERMTRIAL_USER": user, "DERMTRIAL_PASSWORD": PASSWORD}
    command = [str(BIN), "report", "--db", url, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)


def _close(value: Any, expected: float) -> bool:
    return isinstance(value, int | float) and math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.requirement("CLIN-ANA-02")
def test_report_from_the_database_writes_hand_checked_endpoints(small: SmallStudy, db_url: str, tmp_path: Path) -> None:
    before = events(small.setup.db)
    out = tmp_path / "report"
    result = report(db_url, "--out", str(out))
    assert result.returncode == 0, result.stderr
    new = events(small.setup.db)[len(before) :]
    assert [e["event_type"] for e in new] == ["login", "logout"]  # the report itself wrote nothing
    assert {p.name for p in out.iterdir()} >= {"endpoints.json", "report.html", "report.pdf", "figures"}
    assert list((out / "figures").glob("*.png"))

    endpoints = json.loads((out / "endpoints.json").read_text(encoding="utf-8"))
    assert (endpoints["protocol"], endpoints["missing_data_rule"]) == ("NCT03392311", "observed")
    primary = endpoints["primary"]
    # FAS = A, B, D. A: 24.0 → 6.0 on day 85 (75 %); B: 24.0 → 12.0 on day 84 (50 %); D: week 12 on day 90, missing.
    assert (primary["n"], primary["n_missing"]) == (2, 1)
    per_subject = {s["subject"]: s for s in primary["per_subject"]}
    assert set(per_subject) == {"GZ01-E01", "GZ01-E02", "GZ01-E04"}
    shown = [(s["baseline"], s["week12"], s["week12_study_day"], s["improvement_percent"]) for s in
             (per_subject["GZ01-E01"], per_subject["GZ01-E02"], per_subject["GZ01-E04"])]  # fmt: skip
    assert shown == [(24.0, 6.0, 85, 75.0), (24.0, 12.0, 84, 50.0), (20.0, None, None, None)]
    improvement = primary["improvement_percent"]
    sd = math.sqrt(((75 - 62.5) ** 2 + (50 - 62.5) ** 2) / 1)  # 17.677…
    half = stats.t.ppf(0.975, 1) * sd / math.sqrt(2)  # t with 1 degree of freedom
    assert _close(improvement["mean"], 62.5)
    assert _close(improvement["median"], 62.5)
    assert _close(improvement["sd"], sd)
    assert _close(improvement["ci95"][0], 62.5 - half)
    assert _close(improvement["ci95"][1], 62.5 + half)
    assert (improvement["min"], improvement["max"]) == (50.0, 75.0)
    responders = {name: (r["n"], r["of"]) for name, r in endpoints["responders"].items()}
    assert responders == {"pasi50": (2, 2), "pasi75": (1, 2), "pasi90": (0, 2), "pasi100": (0, 2)}
    change = endpoints["change_from_baseline"]
    # differences −18 and −12: mean −15; Walsh averages −18, −15, −12 → Hodges–Lehmann −15; exact Wilcoxon with
    # both differences negative: two-sided p = 2 × 1/4 = 0.5
    assert _close(change["mean"], -15.0)
    assert _close(change["hodges_lehmann"], -15.0)
    assert _close(change["wilcoxon_p"], 0.5)

    nri = report(db_url, "--out", str(tmp_path / "nri"), "--missing", "nri")
    assert nri.returncode == 0, nri.stderr
    imputed = json.loads((tmp_path / "nri" / "endpoints.json").read_text(encoding="utf-8"))
    assert (imputed["missing_data_rule"], imputed["n_imputed"]) == ("nri", 1)  # D, out of window: a non-responder

    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Live data" in html
    for heading in ("Populations", "Disposition", "Secondary endpoints", "Safety", "Subject-level table"):
        assert heading in html
    assert "Hypercalcemia" in html
    assert "inclusion I2" in html


def test_a_cut_is_reported_while_it_verifies_and_refused_once_changed(
    small: SmallStudy, db_url: str, tmp_path: Path
) -> None:
    manager = small.setup.user("dm.sun", "data-manager", None)
    cut = create_data_cut(small.setup.db, manager, name="primary-endpoint", reason="week 12 done", now=NOW)
    on_cut = report(db_url, "--out", str(tmp_path / "cut"), "--cut", "primary-endpoint")
    assert on_cut.returncode == 0, on_cut.stderr
    html = (tmp_path / "cut" / "report.html").read_text(encoding="utf-8")
    assert cut.snapshot_sha256 in html
    assert "primary-endpoint" in html
    set_study_status(small.setup.db, small.pi, subject_id=small.ids["B"], status="completed", reason="done", now=NOW)
    changed = report(db_url, "--out", str(tmp_path / "again"), "--cut", "primary-endpoint")
    assert changed.returncode == 1
    assert 'data cut "primary-endpoint" no longer verifies' in changed.stderr
    assert not (tmp_path / "again").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--missing", "sometimes"), "--missing"),
        (("--cut", "interim-9"), 'no data cut "interim-9"'),
    ],
)
def test_bad_options_exit_2(
    study: StudySetup, db_url: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    study.user("stat.zhao", "statistician", None)
    result = report(db_url, "--out", str(tmp_path / "out"), *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_user_without_read_permission_is_refused(study: StudySetup, db_url: str, tmp_path: Path) -> None:
    study.user("ops", "administrator", None)
    result = report(db_url, "--out", str(tmp_path / "out"), user="ops")
    assert result.returncode == 2
    assert 'user "ops" may not subject.read' in result.stderr
    assert not (tmp_path / "out").exists()
