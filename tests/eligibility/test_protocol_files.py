"""Another protocol runs from its file alone; a protocol whose units cannot be compared is refused when loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.protocol.builtin import builtin_text
from dermtrial.protocol.loader import load_text
from tests.eligibility.records import template

BIN = Path(sys.executable).parent / "dermtrial"


def _changed(old: str, new: str) -> str:
    text = builtin_text("NCT03392311")
    assert old in text
    return text.replace(old, new, 1)


def test_a_threshold_unit_that_cannot_be_reached_from_the_inputs_unit_is_refused() -> None:
    text = _changed(
        '{input: platelets, op: "<", value: 75.0, unit: 10^9/L', '{input: platelets, op: "<", value: 75.0, unit: g/L'
    )
    with pytest.raises(InvalidInput, match=r'unit: "g/L" is not allowed: the input platelets is in 10\^9/L'):
        load_text(text, "bad.yaml")


def test_a_lab_input_in_a_unit_its_results_cannot_reach_is_refused() -> None:
    text = _changed("source: {lab: CYSC}, unit: mg/L", "source: {lab: CYSC}, unit: mmol/L")
    with pytest.raises(InvalidInput, match="a molar mass would be needed"):
        load_text(text, "bad.yaml")


def test_a_protocol_file_with_its_own_limits_and_settings_runs_without_code(tmp_path: Path) -> None:
    # A site amendment: platelets < 100 excludes, and a last use exactly 14 days before baseline fails the washout.
    text = _changed("value: 75.0, unit: 10^9/L", "value: 100.0, unit: 10^9/L")
    text = text.replace("washout_edge: exact_days_meet", "washout_edge: exact_days_fail", 1)
    path = tmp_path / "amended.yaml"
    path.write_text(text, encoding="utf-8")
    record = template()
    record["labs"] = [lab for lab in record["labs"] if lab["test"] != "PLAT"]
    record["labs"].append({"test": "PLAT", "value": 99.9, "unit": "10^3/uL"})
    record["last_use"]["topical_retinoid"] = "2019-07-09"  # 14 days before baseline
    result = subprocess.run(
        [str(BIN), "eligibility", "check", "--protocol", str(path)],
        input=json.dumps(record),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert [c["id"] for c in json.loads(result.stdout)["criteria"] if c["result"] == "not_satisfied"] == ["E5f", "E9"]
