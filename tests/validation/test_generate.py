"""The validation pack's generator on small synthetic records (never the whole suite inside a test), and the plugin
on a three-test synthetic suite run in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dermtrial.validation.__main__ import main
from dermtrial.validation.catalogue import Requirement
from dermtrial.validation.generate import (
    describe_selection,
    groups_by_requirement,
    render_installation,
    render_test_results,
    render_traceability,
    verdict,
)

CATALOGUE = [
    Requirement("CLIN-PASI-01", "PASI is the weighted sum.", "TRIAL.md"),
    Requirement("CLIN-ZUNG-01", "Zung reverses its items.", "TRIAL.md"),
    Requirement("REG-AUDIT-01", "Every change is audited.", "21 CFR 11.10(e)"),
    Requirement("REG-ESIG-01", "A signature shows name, meaning and time.", "21 CFR 11.50"),
]


def record(tests: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "started": "2026-11-26T03:00:00+00:00",
        "finished": "2026-11-26T03:10:00+00:00",
        "command": ["pytest", "-p", "dermtrial.validation.plugin"],
        "exit_status": 1,
        "machine": {"node": "lab-1", "platform": "Linux-x86_64", "python": "3.11.7", "cpus": 2},
        "versions": {"dermtrial": "0.1.0", "pytest": "9.2.0"},
        "tests": tests,
    }


TESTS = [
    {"nodeid": "tests/i/test_pasi.py::test_sum", "outcome": "passed", "requirements": ["CLIN-PASI-01"]},
    {"nodeid": "tests/s/test_audit.py::test_a[sqlite]", "outcome": "passed", "requirements": ["REG-AUDIT-01"]},
    {
        "nodeid": "tests/s/test_audit.py::test_a[postgresql]",
        "outcome": "failed",
        "requirements": ["REG-AUDIT-01"],
        "reason": "AssertionError: assert 3 == 4",
    },
    {"nodeid": "tests/i/test_zung.py::test_rev", "outcome": "passed", "requirements": ["CLIN-ZUNG-01", "CLIN-X-99"]},
    {"nodeid": "tests/i/test_zung.py::test_unmarked", "outcome": "passed", "requirements": []},
]
DOCTOR = {
    "ok": False,
    "database": None,
    "checks": [
        {"name": "python", "status": "ok", "required": True, "detail": "Python 3.11.7"},
        {"name": "PDF rendering", "status": "failed", "required": True, "detail": "WeasyPrint cannot render | Pango"},
        {"name": "chromium", "status": "absent", "required": False, "detail": "/usr/bin/chromium not found"},
    ],
}


def test_cases_of_one_test_are_grouped_and_the_worst_outcome_wins() -> None:
    groups = groups_by_requirement(TESTS)
    (audit,) = groups["REG-AUDIT-01"]
    assert audit.function == "tests/s/test_audit.py::test_a"
    assert audit.outcomes == ("passed", "failed")
    assert audit.outcome == "failed"
    assert audit.describe() == "`tests/s/test_audit.py::test_a`: failed (1 of 2 cases passed)"
    assert groups["CLIN-PASI-01"][0].describe() == "`tests/i/test_pasi.py::test_sum`: passed"


def test_verdicts_on_each_side() -> None:
    groups = groups_by_requirement(TESTS)
    assert verdict(groups["CLIN-PASI-01"]) == "PROVED"
    assert verdict(groups["REG-AUDIT-01"]) == "FAILED"
    assert verdict([]) == "NO TEST"
    skipped = groups_by_requirement([{"nodeid": "t.py::x", "outcome": "skipped", "requirements": ["A"]}])
    assert verdict(skipped["A"]) == "NOT PROVED"


def test_the_matrix_flags_a_requirement_without_a_test_a_failure_and_an_unknown_marker_loudly() -> None:
    page = render_traceability(CATALOGUE, record(TESTS))
    assert "**4 requirements: 2 proved, 1 failed, 0 not proved, 1 without a test.**" in page
    assert "- **REG-ESIG-01 HAS NO TEST**: A signature shows name, meaning and time." in page
    assert "- **REG-AUDIT-01 FAILED**: Every change is audited." in page
    assert "- **CLIN-X-99** (marked on 1 test(s))" in page
    assert "| [CLIN-PASI-01](#clin-pasi-01) | PROVED | 1 | PASI is the weighted sum. |" in page
    assert "| [REG-ESIG-01](#reg-esig-01) | **NO TEST** | 0 | A signature shows name, meaning and time. |" in page
    section = page.split("### REG-AUDIT-01", 1)[1].split("###", 1)[0]
    assert "- source: 21 CFR 11.10(e)" in section
    assert "  - `tests/s/test_audit.py::test_a`: failed (1 of 2 cases passed)" in section
    assert page.index("## Clinical rules") < page.index("### CLIN-ZUNG-01") < page.index("## Regulatory controls")


def test_a_subset_run_says_so_and_the_whole_suite_says_so() -> None:
    assert describe_selection(record(TESTS)) == "the whole suite"
    whole = dict(record(TESTS), selection={"paths": ["tests"], "testpaths": ["tests"], "markexpr": "", "keyword": ""})
    assert describe_selection(whole) == "the whole suite"
    subset = dict(whole, selection={"paths": ["tests/safety"], "testpaths": ["tests"], "markexpr": "requirement"})
    assert describe_selection(subset) == "a SUBSET of the suite (-m 'requirement', tests/safety)"
    assert "Tests run: **a SUBSET of the suite (-m 'requirement', tests/safety)**." in render_traceability(
        CATALOGUE, subset
    )
    assert "| tests run | a SUBSET of the suite" in render_test_results(subset)


def test_a_complete_run_says_none_is_missing() -> None:
    passing = [dict(t, outcome="passed") for t in TESTS]
    passing.append({"nodeid": "tests/w/test_sign.py::test_s", "outcome": "passed", "requirements": ["REG-ESIG-01"]})
    page = render_traceability(CATALOGUE, record(passing))
    assert "None: every requirement is proved by at least one test that ran." in page
    assert "**4 requirements: 4 proved, 0 failed, 0 not proved, 0 without a test.**" in page


def test_the_results_page_counts_lists_failures_and_names_machine_and_versions() -> None:
    page = render_test_results(record(TESTS))
    assert "| tests | 5 (4 carry a requirement marker) |" in page
    assert "| passed | 4 |" in page
    assert "| failed | 1 |" in page
    assert "| node | lab-1 |" in page
    assert "| pytest | 9.2.0 |" in page
    assert "| folder | failed | passed |" in page
    assert "| tests/i | 0 | 3 |" in page
    assert "| tests/s | 1 | 1 |" in page
    assert "- `tests/s/test_audit.py::test_a[postgresql]`: **failed**: AssertionError: assert 3 == 4" in page
    assert "| started (UTC) | 2026-11-26T03:00:00+00:00 |" in page


def test_the_installation_page_is_the_doctor_table() -> None:
    page = render_installation(DOCTOR, "dermtrial doctor --json")
    assert "Result: **a required check FAILED**." in page
    assert "| PDF rendering | failed | yes | WeasyPrint cannot render \\| Pango |" in page
    assert "| chromium | absent | no (informational) | /usr/bin/chromium not found |" in page
    assert "Database checked: none (the run was made without --db)." in page


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_command_writes_three_pages_and_exits_1_when_not_everything_is_proved(tmp_path: Path) -> None:
    results = _write(tmp_path, "run.json", record(TESTS))
    doctor = _write(tmp_path, "doctor.json", DOCTOR)
    out = tmp_path / "pack"
    assert main(["--results", str(results), "--doctor", str(doctor), "--out", str(out)]) == 1
    assert sorted(p.name for p in out.iterdir()) == ["installation.md", "test-results.md", "traceability.md"]
    # the real catalogue: none of its requirements is proved by this synthetic run
    assert "HAS NO TEST" in (out / "traceability.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("results_text", "doctor_text"),
    [("{not json", '{"ok": true, "checks": []}'), ('{"tests": []}', '["not", "a", "doctor"]')],
)
def test_unreadable_input_exits_2_and_writes_nothing(tmp_path: Path, results_text: str, doctor_text: str) -> None:
    (tmp_path / "run.json").write_text(results_text, encoding="utf-8")
    (tmp_path / "doctor.json").write_text(doctor_text, encoding="utf-8")
    out = tmp_path / "pack"
    args = ["--results", str(tmp_path / "run.json"), "--doctor", str(tmp_path / "doctor.json"), "--out", str(out)]
    assert main(args) == 2
    assert not out.exists()


SYNTHETIC_SUITE = """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")

@pytest.mark.requirement("CLIN-PASI-01")
def test_passes():
    assert 1 + 1 == 2

@pytest.mark.requirement("REG-AUDIT-01", "CLIN-PASI-01")
@pytest.mark.parametrize("n", [1, 2])
def test_one_case_fails(n):
    assert n == 1, "two is not one"

@pytest.mark.requirement("REG-ESIG-01")
def test_setup_error(broken):
    pass

def test_unmarked():
    pass
"""


def test_the_plugin_records_outcomes_and_markers_of_a_real_pytest_run(tmp_path: Path) -> None:
    (tmp_path / "test_synthetic.py").write_text(SYNTHETIC_SUITE, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    requirement(*ids): ids\n", encoding="utf-8")
    out = tmp_path / "run.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "dermtrial.validation.plugin"]
    done = subprocess.run(
        [*command, "--requirements-json", str(out), "test_synthetic.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout
    body = json.loads(out.read_text(encoding="utf-8"))
    rows = {test["nodeid"]: test for test in body["tests"]}
    assert {nodeid: row["outcome"] for nodeid, row in rows.items()} == {
        "test_synthetic.py::test_passes": "passed",
        "test_synthetic.py::test_one_case_fails[1]": "passed",
        "test_synthetic.py::test_one_case_fails[2]": "failed",
        "test_synthetic.py::test_setup_error": "error",
        "test_synthetic.py::test_unmarked": "passed",
    }
    assert rows["test_synthetic.py::test_one_case_fails[2]"]["requirements"] == ["CLIN-PASI-01", "REG-AUDIT-01"]
    assert rows["test_synthetic.py::test_unmarked"]["requirements"] == []
    assert "two is not one" in rows["test_synthetic.py::test_one_case_fails[2]"]["reason"]
    assert "fixture broke" in rows["test_synthetic.py::test_setup_error"]["reason"]
    assert body["exit_status"] == 1
    assert body["selection"]["paths"] == ["test_synthetic.py"]
    assert body["machine"]["cpus"] >= 1
    assert body["versions"]["dermtrial"]
    assert not list(tmp_path.glob("*.partial"))


def test_without_the_option_the_plugin_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "dermtrial.validation.plugin"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".json") == []
