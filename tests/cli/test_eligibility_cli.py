"""``dermtrial eligibility template | check | screen``: the command-line contract, through the installed script."""

from __future__ import annotations

import functools
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


@functools.cache
def _template_text(registry_id: str) -> str:
    result = run("eligibility", "template", "--protocol", registry_id)
    assert result.returncode == 0, result.stderr
    return result.stdout


def template(registry_id: str = "NCT03392311") -> dict[str, Any]:
    """A fresh copy of what ``dermtrial eligibility template`` prints (the command runs once per protocol)."""
    data: dict[str, Any] = json.loads(_template_text(registry_id))
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


def _table(tmp_path: Path, suffix: str) -> Path:
    """Three candidates as a table: the template, one excluded by two criteria, one with calcium in mg/dL."""
    import polars as pl

    from dermtrial.eligibility import flatten_record

    rows = []
    for index in range(3):
        row = flatten_record(template())
        row["candidate"] = f"GDTCM-S00{index + 1}"
        rows.append(row)
    rows[1]["labs.PLAT.value"] = 74.9
    rows[1]["facts.allergy"] = True
    rows[2]["labs.CA.value"], rows[2]["labs.CA.unit"] = 11.7, "mg/dL"
    frame = pl.DataFrame(rows, infer_schema_length=None)
    path = tmp_path / f"candidates{suffix}"
    if suffix == ".csv":
        frame.select(pl.all().cast(pl.String)).write_csv(path)
    elif suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_ndjson(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_screen_writes_a_verdict_table_naming_every_criterion_that_excluded(tmp_path: Path, suffix: str) -> None:
    import polars as pl

    path = _table(tmp_path, suffix)
    result = run("eligibility", "screen", "--protocol", "NCT03392311", str(path), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    written = tmp_path / f"candidates.verdicts{suffix}"
    assert summary["output"] == str(written)
    assert (summary["eligible"], summary["ineligible"], summary["incomplete"]) == (1, 2, 0)
    assert summary["not_satisfied"]["E5f"] == 1
    reader = {".csv": pl.read_csv, ".parquet": pl.read_parquet, ".jsonl": pl.read_ndjson}[suffix]
    verdicts = reader(written)
    assert verdicts["candidate"].to_list() == ["GDTCM-S001", "GDTCM-S002", "GDTCM-S003"]
    assert verdicts["verdict"].to_list() == ["eligible", "ineligible", "ineligible"]
    assert [v or "" for v in verdicts["not_satisfied"].to_list()] == ["", "E5f E7", "E5b"]


def test_screen_with_output_and_a_table_for_people(tmp_path: Path) -> None:
    path = _table(tmp_path, ".csv")
    out = tmp_path / "verdicts.parquet"
    result = run("eligibility", "screen", "-p", "NCT03392311", str(path), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert out.is_file()
    assert "3 candidates screened against NCT03392311: 1 eligible, 2 ineligible, 0 incomplete" in result.stdout


@pytest.mark.requirement("REG-INTEG-03")
def test_screen_bad_input_exits_2_naming_row_and_column_and_writes_nothing(tmp_path: Path) -> None:
    path = _table(tmp_path, ".csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("mmol/L", "mmol/X", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("eligibility", "screen", "-p", "NCT03392311", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        '[1].labs.CA.unit: "mmol/X" is not allowed: CA results are reported in mmol/L, mg/dL'
    ]
    assert not (tmp_path / "candidates.verdicts.csv").exists()


def test_screen_refuses_an_unknown_column_and_an_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("candidate,colour\nA,blue\n", encoding="utf-8")
    result = run("eligibility", "screen", "-p", "NCT03392311", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("colour: unknown column")
    other = tmp_path / "c.xlsx"
    other.write_text("x", encoding="utf-8")
    assert run("eligibility", "screen", "-p", "NCT03392311", str(other)).returncode == 2


def test_a_huge_lab_value_is_graded_or_refused_never_a_crash() -> None:
    """A value too large to round at the limit's precision in the default decimal context (1e30 mmol/L at 0.01)
    excludes like any calcium above 2.9 mmol/L; one beyond a binary float (1e999) is bad input, as in the table."""
    record = template()
    text = json.dumps(record).replace('"value": 2.35', '"value": 1e30')
    assert text != json.dumps(record)
    result = run("eligibility", "check", "-p", "NCT03392311", stdin=text)
    assert result.returncode == 1, result.stderr
    calcium = next(c for c in json.loads(result.stdout)["criteria"] if c["id"] == "E5b")
    assert calcium["result"] == "not_satisfied"
    result = run("eligibility", "check", "-p", "NCT03392311", stdin=text.replace("1e30", "1e999"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("labs[0].value: ")
    assert "is not allowed: must be a number >= 0 (at most 1.7e308)" in result.stderr
