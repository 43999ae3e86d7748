"""``dermtrial grade lab``: the JSON contract, run through the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "dermtrial"


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, input=stdin, timeout=60, check=False)


def test_a_batch_is_graded_in_the_same_order() -> None:
    batch = [
        {"test": "PLAT", "value": 74.9, "unit": "10^9/L", "lln": 150, "uln": 400, "baseline": None},
        {"test": "ALT", "value": 120, "unit": "U/L", "lln": 0, "uln": 40, "baseline": 30},
        {"test": "CA", "value": 2.81, "unit": "mmol/L", "lln": 2.1, "uln": 2.6, "baseline": None, "albumin": 35},
        {"test": "HGB", "value": 9.9, "unit": "g/dL", "lln": 13, "uln": 17.5, "baseline": None},
    ]
    done = run("grade", "lab", stdin=json.dumps(batch))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert [item["test"] for item in out] == ["PLAT", "ALT", "CA", "HGB"]
    assert out[0]["grades"] == {"Platelet count decreased": 2}
    assert out[1]["grades"] == {"Alanine aminotransferase increased": 1}
    assert out[2]["grades"] == {"Hypercalcemia": 2, "Hypocalcemia": 0}
    assert out[2]["calcium"] == "corrected"
    assert out[3]["grades"] == {"Anemia": 2, "Hemoglobin increased": 0}


def test_one_object_in_a_file_gives_one_object_with_not_gradable(tmp_path: Path) -> None:
    path = tmp_path / "lab.json"
    path.write_text(json.dumps({"test": "PLAT", "value": 80, "unit": "10^9/L", "lln": None, "uln": None}))
    done = run("grade", "lab", "--input", str(path))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["grades"] == {"Platelet count decreased": None}
    assert "needs the LLN" in out["not_gradable"]["Platelet count decreased"]


def test_calcium_without_albumin_says_uncorrected() -> None:
    done = run("grade", "lab", stdin='{"test": "CA", "value": 2.91, "unit": "mmol/L", "lln": 2.1, "uln": 2.6}')
    assert json.loads(done.stdout)["calcium"] == "uncorrected"


def test_bad_input_exits_2_naming_field_value_and_allowed() -> None:
    batch = [
        {"test": "PLAT", "value": 100, "unit": "10^9/L"},
        {"test": "FOO", "value": -1, "unit": "U/L", "lln": 5, "uln": 4},
    ]
    done = run("grade", "lab", stdin=json.dumps(batch))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert any(line.startswith("[1].test: 'FOO' is not allowed: one of ") for line in lines)
    assert "[1].value: -1 is not allowed: a number ≥ 0" in lines
    assert "[1].lln: 5 is not allowed: lln must not exceed uln (4)" in lines


def test_unknown_unit_exits_2() -> None:
    done = run("grade", "lab", stdin='{"test": "ALT", "value": 10, "unit": "mg"}')
    assert done.returncode == 2
    assert 'unit: "mg" is not allowed: ALT results are reported in U/L' in done.stderr


def test_a_huge_value_is_graded_not_a_crash() -> None:
    """Rounding 1e30 × 10⁹/L at 0.1 needs more digits than the default decimal context holds: still grade 0."""
    done = run("grade", "lab", stdin='{"test": "PLAT", "value": 1e30, "unit": "10^9/L", "lln": 150, "uln": 400}')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["grades"] == {"Platelet count decreased": 0}
