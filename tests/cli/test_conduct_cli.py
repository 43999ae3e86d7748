"""``dermtrial dose`` and ``dermtrial schedule`` through the installed console script: the stable contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "dermtrial"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real console script, as other tools do."""
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.requirement("CLIN-DOSE-01")
def test_dose_of_62_5_kg_is_125_million_cells() -> None:
    result = run("dose", "--protocol", "NCT03392311", "--weight-kg", "62.5", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["dose"], out["unit"], out["weight_kg"], out["intervention"]) == (125_000_000, "cell", "62.5", "admsc")
    assert out["per_kg"] == {"amount": 2_000_000, "unit": "cell/kg"}
    human = run("dose", "--protocol", "NCT03392311", "--weight-kg", "62.5")
    assert "125,000,000 cell" in human.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--protocol", "NCT03392311", "--weight-kg", "-5"],
            "--weight-kg: -5 is not allowed: a body weight from 30 to 250 kg",
        ),
        (["--protocol", "NCT03392311", "--weight-kg", "900"], "--weight-kg: 900 is not allowed"),
        (["--protocol", "NCT03392311", "--weight-kg", "29.9"], "--weight-kg: 29.9 is not allowed"),  # below WT.WEIGHT
        (["--protocol", "NCT03392311", "--weight-kg", "heavy"], '--weight-kg: "heavy" is not allowed: expected'),
        (["--protocol", "NCT00000000", "--weight-kg", "60"], '--protocol: "NCT00000000" is not allowed: expected'),
    ],
)
def test_dose_bad_input_exits_2_naming_field_value_and_allowed(args: list[str], message: str) -> None:
    result = run("dose", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_schedule_json_shape() -> None:
    result = run("schedule", "--protocol", "NCT03392311", "--first-treatment", "2019-08-01", "--json")
    assert result.returncode == 0, result.stderr
    visits = json.loads(result.stdout)["visits"]
    assert [v["name"] for v in visits] == ["screening", "day1", "week2", "week4", "week8", "week12", "week24"]
    assert visits[5] == {
        "name": "week12",
        "study_day": 85,
        "target_date": "2019-10-24",
        "window_start": "2019-10-21",
        "window_end": "2019-10-27",
    }
    assert all(set(v) == {"name", "study_day", "target_date", "window_start", "window_end"} for v in visits)


@pytest.mark.parametrize("value", ["2019-02-30", "01/08/2019", "2019-8-1", "tomorrow"])
def test_schedule_unparseable_date_exits_2(value: str) -> None:
    result = run("schedule", "--protocol", "NCT03392311", "--first-treatment", value)
    assert result.returncode == 2
    assert f'--first-treatment: "{value}" is not allowed: expected a date YYYY-MM-DD' in result.stderr


def test_schedule_unknown_protocol_exits_2() -> None:
    result = run("schedule", "--protocol", "nope.yaml", "--first-treatment", "2019-08-01")
    assert result.returncode == 2
    assert "NCT03392311, NCT04275024" in result.stderr
