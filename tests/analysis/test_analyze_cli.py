"""``dermtrial analyze``: exit 0 with endpoints.json and the report; exit 2 naming each bad input, writing nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pytest
from typer.testing import CliRunner

from dermtrial.analysis import analyse_pasi
from dermtrial.analysis.input import read_assessments_csv
from dermtrial.analysis.output import endpoints_json_bytes
from dermtrial.analysis.treated import NOT_TREATED, select_treated
from tests.analysis._study import HEADER, PROTOCOL, write_csv

BIN = Path(sys.executable).parent / "dermtrial"

ROWS = [
    ("S01", "2019-08-01", "2019-08-01", "20.0"),
    ("S01", "2019-08-01", "2019-10-24", "5.0"),
    ("S02", "2019-08-01", "2019-08-01", "11.2"),
    ("S02", "2019-08-01", "2019-10-22", "2.8"),
    ("S03", "2019-08-01", "2019-08-01", "15.0"),
    ("S03", "2019-08-01", "2019-09-26", "9.0"),
    ("S03", "2019-08-01", "2019-10-29", "3.0"),
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), "analyze", *args], capture_output=True, text=True, timeout=300, check=False)


def invoke(*args: str) -> tuple[int, str, str]:
    from dermtrial.cli import app

    result = CliRunner().invoke(app, ["analyze", *args])
    return result.exit_code, result.stdout, result.stderr


def test_analyze_writes_endpoints_and_report_and_the_same_data_give_the_same_bytes(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "study.csv", ROWS)
    shuffled = write_csv(tmp_path / "shuffled.csv", list(reversed(ROWS)))
    first = run("--protocol", "NCT03392311", "--input", str(csv), "--out", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    again = run(
        "--protocol", "NCT03392311", "--input", str(shuffled), "--out", str(tmp_path / "b"), "--missing", "observed"
    )
    assert again.returncode == 0, again.stderr
    written = (tmp_path / "a" / "endpoints.json").read_bytes()
    assert written == (tmp_path / "b" / "endpoints.json").read_bytes()
    treated = select_treated(read_assessments_csv(csv), PROTOCOL)
    expected = analyse_pasi(treated.assessments, PROTOCOL, population=treated.label).endpoints
    assert written == endpoints_json_bytes({**expected, "left_out": []})
    endpoints = json.loads(written)
    assert (endpoints["primary"]["n"], endpoints["primary"]["n_missing"]) == (2, 1)
    assert endpoints["responders"]["pasi75"]["n"] == 2  # 20 → 5 and 11.2 → 2.8 are exactly 75 %
    for name in ("report.html", "report.pdf"):
        assert (tmp_path / "a" / name).stat().st_size > 0
    figures = sorted((tmp_path / "a" / "figures").glob("*.png"))
    assert figures
    for figure in figures:
        assert matplotlib.image.imread(figure).size > 0
    assert endpoints["data_sha256"] in (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert "PASI75 responders" in first.stdout
    assert "2 of 2" in first.stdout
    assert endpoints["data_sha256"] in first.stdout


def test_missing_rule_is_recorded(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "study.csv", ROWS)
    done = run("--protocol", "NCT03392311", "--input", str(csv), "--out", str(tmp_path / "locf"), "--missing", "locf")
    assert done.returncode == 0, done.stderr
    endpoints = json.loads((tmp_path / "locf" / "endpoints.json").read_text(encoding="utf-8"))
    assert (endpoints["missing_data_rule"], endpoints["n_imputed"]) == ("locf", 1)  # S03 carries day 57 (9.0)


BAD = [
    (
        "missing column",
        "subject,first_treatment_date,pasi\nS01,2019-08-01,10\n",
        ["1: assessment_date: required column"],
    ),
    (
        "unparseable date",
        HEADER + "\nS01,2019-08-01,2019-13-01,10\n",
        ['2: assessment_date: "2019-13-01" is not a date'],
    ),
    ("PASI above 72", HEADER + "\nS01,2019-08-01,2019-08-01,72.5\n", ['2: pasi: "72.5" is outside 0–72']),
    ("PASI below 0", HEADER + "\nS01,2019-08-01,2019-08-01,-3\n", ['2: pasi: "-3" is outside 0–72']),
    ("not a tenth", HEADER + "\nS01,2019-08-01,2019-08-01,10.25\n", ['2: pasi: "10.25" is not a multiple of 0.1']),
    ("empty subject", HEADER + "\n,2019-08-01,2019-08-01,10\n", ["2: subject: the subject id is empty"]),
    (
        "two first treatment dates",
        HEADER + "\nS01,2019-08-01,2019-08-01,10\nS01,2019-08-03,2019-10-24,2\n",
        ['3: first_treatment_date: "2019-08-03" differs from "2019-08-01" on line 2'],
    ),
    (
        "two PASI on one date",
        HEADER + "\nS01,2019-08-01,2019-08-01,10\nS01,2019-08-01,2019-08-01,11\n",
        ['3: assessment_date: "2019-08-01": subject "S01" already has a PASI on this date (line 2)'],
    ),
    (
        "two faults",
        HEADER + "\nS01,2019-08-01,2019-08-01,99\nS02,2019-08-01,2019-08-01,abc\n",
        ['2: pasi: "99"', '3: pasi: "abc" is not a number'],
    ),
]


@pytest.mark.parametrize(("kind", "content", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2_one_line_per_problem_and_writes_nothing(
    tmp_path: Path, kind: str, content: str, expected: list[str]
) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, stderr = invoke("--protocol", "NCT03392311", "--input", str(csv), "--out", str(out))
    assert code == 2, kind
    lines = stderr.strip().splitlines()
    assert len(lines) == len(expected)
    for line, fragment in zip(lines, expected, strict=True):
        assert line.startswith(f"{csv}:{fragment}")
    assert stdout == ""
    assert not out.exists()


def test_bad_input_through_the_console_script_exits_2(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(HEADER + "\nS01,2019-08-01,2019-08-01,80\n", encoding="utf-8")
    done = run("--protocol", "NCT03392311", "--input", str(csv), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr == f'{csv}:2: pasi: "80" is outside 0–72 (the PASI range)\n'
    assert not (tmp_path / "out").exists()


def test_an_existing_directory_keeps_nothing_half_written_on_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    csv = tmp_path / "bad.csv"
    csv.write_text(HEADER + "\nS01,2019-08-01,2019-08-01,x\n", encoding="utf-8")
    code, _, _ = invoke("--protocol", "NCT03392311", "--input", str(csv), "--out", str(out))
    assert code == 2
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "FILE"], "exists and is not a directory"),
        (["--out", "UNDER_FILE"], "is a file, so the directory cannot be created"),
        (
            ["--missing", "bocf"],
            'error: --missing: "bocf" is not a missing-data rule: expected one of observed, nri, locf',
        ),
        (["--protocol", "NCT00000000"], "not a built-in protocol (built-in: NCT03392311, NCT04275024)"),
        (["--input", "MISSING"], "no such file"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    csv = write_csv(tmp_path / "study.csv", ROWS)
    existing = tmp_path / "file.txt"
    existing.write_text("x", encoding="utf-8")
    given = {"--protocol": "NCT03392311", "--input": str(csv), "--out": str(tmp_path / "out")}
    replacements = {
        "FILE": str(existing),
        "UNDER_FILE": str(existing / "out"),
        "MISSING": str(tmp_path / "nope.csv"),
    }
    given[args[0]] = replacements.get(args[1], args[1])
    code, _, stderr = invoke(*[part for pair in given.items() for part in pair])
    assert code == 2
    assert message in stderr
    assert not (tmp_path / "out").exists()
    assert existing.read_text(encoding="utf-8") == "x"


def test_a_protocol_file_path_is_accepted_like_protocol_show(tmp_path: Path) -> None:
    from dermtrial.protocol.builtin import builtin_text

    protocol = tmp_path / "trial.yaml"
    protocol.write_text(builtin_text("NCT03392311"), encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\nS01,2019-08-01,2019-08-01,x\n", encoding="utf-8")
    code, _, stderr = invoke("--protocol", str(protocol), "--input", str(bad), "--out", str(tmp_path / "o"))
    assert code == 2
    assert "pasi" in stderr  # the protocol file was read and accepted; the CSV is what was refused


def test_subjects_never_treated_are_left_out_of_the_population_by_name(tmp_path: Path) -> None:
    # S09 is a screen failure: a screening PASI and no first treatment date. It is not a member of the analysed
    # population (so not "missing" and not an NRI non-responder), but it is named in left_out.
    csv = write_csv(tmp_path / "study.csv", [*ROWS, ("S09", "", "2019-07-20", "8.0")])
    out = tmp_path / "out"
    args = ("--protocol", "NCT03392311", "--input", str(csv), "--out", str(out), "--missing", "nri")
    code, stdout, stderr = invoke(*args)
    assert code == 0, stderr
    endpoints = json.loads((out / "endpoints.json").read_text(encoding="utf-8"))
    assert endpoints["population"]["n"] == 3
    assert endpoints["left_out"] == [{"subject": "S09", "reason": NOT_TREATED}]
    assert endpoints["responders"]["pasi50"]["of"] == 3  # NRI over the three treated subjects, not four
    assert "S09" not in {row["subject"] for row in endpoints["primary"]["per_subject"]}
    assert "left out (never treated)" in stdout
    assert oct((out / "endpoints.json").stat().st_mode & 0o777) != oct(0o600)  # readable like any new file
