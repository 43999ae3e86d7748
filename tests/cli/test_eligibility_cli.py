"""``dermtrial eligibility template | check | screen``: the command-line contract, through the installed script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent / "dermtrial"


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run the real console script, as other tools do."""
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, input=stdin, timeout=120, check=False)


def template(registry_id: str = "NCT03392311") -> dict[str, Any]:
    result = run("eligibility", "template", "--protocol", registry_id)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("registry_id", ["NCT03392311", "NCT04275024"])
def test_the_template_of_each_protocol_checks_eligible(registry_id: str) -> None:
    record = template(registry_id)
    result = run("eligibility", "check", "--protocol", registry_id, stdin=json.dumps(record))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["candidate"] == record["candidate"]
    assert out["verdict"] == "eligible"
    assert [c["id"] for c in out["criteria"]][:3] == ["I1", "I2", "I3"]


def test_check_prints_the_contract_shape_for_every_criterion() -> None:
    result = run("eligibility", "check", "-p", "NCT03392311", stdin=json.dumps(template()))
    for criterion in json.loads(result.stdout)["criteria"]:
        keys = ["id", "type", "kind", "result", "applies", "reason", "evidence"]
        if criterion["type"] == "inclusion":
            keys.remove("applies")
        assert list(criterion) == keys
        assert criterion["kind"] in {"computed", "recorded", "judgement"}
        assert criterion["result"] in {"satisfied", "not_satisfied", "unknown"}


def test_check_reads_an_array_from_a_file_and_exits_1_when_one_is_not_eligible(tmp_path: Path) -> None:
    eligible = template()
    excluded = template()
    excluded["candidate"] = "GDTCM-S002"
    excluded["labs"] = [
        lab if lab["test"] != "CA" else {"test": "CA", "value": 11.7, "unit": "mg/dL"} for lab in excluded["labs"]
    ]
    path = tmp_path / "records.json"
    path.write_text(json.dumps([eligible, excluded]), encoding="utf-8")
    result = run("eligibility", "check", "--protocol", "NCT03392311", "--input", str(path))
    assert result.returncode == 1, result.stderr
    out = json.loads(result.stdout)
    assert [r["verdict"] for r in out] == ["eligible", "ineligible"]
    e5b = next(c for c in out[1]["criteria"] if c["id"] == "E5b")
    assert (e5b["result"], e5b["applies"]) == ("not_satisfied", True)
    assert e5b["reason"] == "calcium 2.92 mmol/L > 2.9 mmol/L"


def test_bad_input_exits_2_naming_the_record_index_and_field_and_prints_no_verdict() -> None:
    good = template()
    bad = template()
    bad["labs"][0] = {"test": "CA", "value": 2.3, "unit": "furlong"}
    bad["birth_date"] = "1980-02-30"
    result = run("eligibility", "check", "-p", "NCT03392311", stdin=json.dumps([good, bad]))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == ['[1].birth_date: "1980-02-30" is not allowed: expected a date YYYY-MM-DD']


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            {"labs": [{"test": "CA", "value": -2.3, "unit": "mmol/L"}]},
            "labs[0].value: -2.3 is not allowed: must be a number >= 0",
        ),
        (
            {"labs": [{"test": "CA", "value": 2.3, "unit": "mmol/m"}]},
            'labs[0].unit: "mmol/m" is not allowed: CA results are reported in mmol/L, mg/dL',
        ),
        (
            {"labs": [{"test": "CALC", "value": 2.3, "unit": "mmol/L"}]},
            'labs[0].test: "CALC" is not allowed: unknown test code',
        ),
        ({"nickname": "x"}, "nickname: unknown field (not part of the format)"),
        ({"consent_date": "01/07/2019"}, 'consent_date: "01/07/2019" is not allowed: expected a date YYYY-MM-DD'),
    ],
)
def test_each_kind_of_bad_input_exits_2(change: dict[str, Any], line: str) -> None:
    result = run("eligibility", "check", "-p", "NCT03392311", stdin=json.dumps({**template(), **change}))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0].startswith(line)


def test_malformed_json_and_unknown_protocol_exit_2() -> None:
    assert run("eligibility", "check", "-p", "NCT03392311", stdin="{").returncode == 2
    unknown = run("eligibility", "template", "-p", "NCT00000000")
    assert unknown.returncode == 2
    assert "not a built-in protocol" in unknown.stderr
