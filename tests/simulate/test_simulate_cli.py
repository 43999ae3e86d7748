"""``dermtrial simulate`` on the command line: CSV-only generation is reproducible byte for byte; bad input exits 2
naming the option, with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dermtrial.cli import app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["simulate", *args])
    return result.exit_code, result.stderr


def test_csv_only_runs_are_byte_identical_for_a_seed(tmp_path: Path) -> None:
    for name in ("a.csv", "b.csv"):
        code, err = _run("--protocol", "NCT03392311", "--subjects", "30", "--sites", "2", "--seed", "7",
                         "--csv", str(tmp_path / name))  # fmt: skip
        assert code == 0, err
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_text().startswith("subject,first_treatment_date,assessment_date,pasi\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--subjects", "0"), "--subjects 0"),
        (("--subjects", "-3"), "--subjects -3"),
        (("--subjects", "5", "--sites", "0"), "--sites 0"),
        (("--subjects", "5", "--protocol", "NCT00000000"), "--protocol NCT00000000"),
        (("--subjects", "5", "--db", "sqlite:////no/such/folder/study.db"), "--db"),
        (("--subjects", "5", "--db", "nonsense://x"), "--db"),
        (("--subjects", "5", "--csv", "{tmp}"), "is a directory"),
        (("--subjects", "5", "--csv", "{tmp}/missing/out.csv"), "does not exist"),
        (("--subjects", "5",), "--db URL"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_option_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    given = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--protocol" not in given:
        given = ["--protocol", "NCT03392311", *given]
    code, err = _run(*given)
    assert code == 2
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_a_database_run_in_a_log_prints_progress_lines_and_how_to_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    result = CliRunner().invoke(app, ["simulate", "--protocol", "NCT03392311", "--subjects", "3", "--seed", "13",
                                      "--db", url])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("simulating candidates:")]
    assert [line.split(" (")[0] for line in lines] == [f"simulating candidates: {n}/3" for n in (1, 2, 3)]
    assert lines[-1].split(", ")[0].endswith("(100 %)")
    assert f"dermtrial report --db {url} --out DIR --as sim.statistician" in result.stdout
