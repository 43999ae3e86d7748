"""``services.study_report.write_study_report`` on the small study, SQLite and PostgreSQL: the one assembly that
``dermtrial report --out`` and the web report page share. The endpoints are those checked by hand in
test_report_command.py; nothing is recorded in the database; refusals come before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.services.errors import PermissionDenied
from dermtrial.services.study_report import write_study_report
from tests.conftest import NOW, StudySetup
from tests.services.helpers import events
from tests.study_analysis.study_setup import SmallStudy


def test_the_service_writes_the_report_and_nothing_in_the_database(small: SmallStudy, tmp_path: Path) -> None:
    before = events(small.setup.db)
    steps: list[str] = []
    out = tmp_path / "report"
    written = write_study_report(small.setup.db, small.statistician, out, now=NOW, progress=steps.append)
    assert events(small.setup.db) == before  # read-only: not even an audit event
    assert steps == [
        "Reading the study data",
        "Deriving the study tables",
        "Computing the endpoints",
        "Writing endpoints.json",
        "Writing the report (HTML, PDF, figures)",
    ]
    assert written.endpoints == out / "endpoints.json"
    assert {p.name for p in out.iterdir()} == {"endpoints.json", "report.html", "report.pdf", "figures"}
    assert written.files.figures
    assert all(f.is_file() for f in written.files.figures)
    endpoints = json.loads(written.endpoints.read_text(encoding="utf-8"))
    assert endpoints == written.analysis.endpoints
    # FAS = A, B, D: A 75 %, B 50 %, D missing at week 12 (hand-checked in test_report_command.py)
    primary = endpoints["primary"]
    assert (primary["n"], primary["n_missing"], primary["improvement_percent"]["mean"]) == (2, 1, 62.5)
    generated = f'<th scope="row">Generated</th><td>{NOW.isoformat()}</td>'
    assert generated in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("rule", "where", "message"),
    [
        ("worst", "missing_rule", "observed"),  # the allowed rules are named
        ("observed", "out", "exists and is not a directory"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_read_or_written(
    study: StudySetup, tmp_path: Path, rule: str, where: str, message: str
) -> None:
    statistician = study.user("stat.zhao", "statistician", None)
    out = tmp_path / "out"
    if where == "out":
        out.write_text("a file", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        write_study_report(study.db, statistician, out, missing_rule=rule)
    problem = refused.value.problems[0]
    assert (problem.path, message in problem.message) == ((where,), True)
    assert out.is_file() if where == "out" else not out.exists()


def test_a_user_without_read_permission_is_refused(study: StudySetup, tmp_path: Path) -> None:
    ops = study.user("ops", "administrator", None)
    with pytest.raises(PermissionDenied, match=r'user "ops" may not subject\.read'):
        write_study_report(study.db, ops, tmp_path / "out")
    assert not (tmp_path / "out").exists()
