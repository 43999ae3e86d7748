"""``dermtrial protocol …`` through the installed console script: output, exit codes, messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

BIN = Path(sys.executable).parent / "dermtrial"
ROOT = Path(__file__).resolve().parent.parent.parent
MINIMAL = ROOT / "tests" / "protocol" / "data" / "minimal.yaml"


def run(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args], capture_output=True, text=True, cwd=cwd, input=stdin, timeout=60, check=False
    )


def test_show_json_carries_arm_interventions_enrollment_and_primary_endpoint() -> None:
    result = run("protocol", "show", "NCT03392311", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["design"]["enrollment"] == {"count": 8, "type": "ACTUAL"}
    assert [arm["label"] for arm in data["arms"]] == ["AD-MSCs plus Calcipotriol ointment group"]
    by_id = {i["id"]: i for i in data["interventions"]}
    assert by_id["admsc"]["route"] == "INTRAVENOUS"
    assert by_id["admsc"]["dose"]["amount"] == 2e6
    assert by_id["admsc"]["dose"]["unit"] == "cell/kg"
    assert by_id["admsc"]["dose"]["basis"] == "body_weight"
    assert (by_id["calcipotriol"]["frequency"], by_id["calcipotriol"]["duration"]) == (
        "BID",
        {"amount": 12.0, "unit": "week"},
    )
    primary = [e for e in data["endpoints"] if e["type"] == "primary"]
    assert len(primary) == 1
    assert primary[0]["timepoint"] == "week12"
    assert primary[0]["window"] == {"before": 3, "after": 3}
    assert len(data["content_hash"]) == 64


def test_show_prints_the_schedule_for_people() -> None:
    result = run("protocol", "show", "NCT03392311")
    assert result.returncode == 0
    assert "week12" in result.stdout
    assert "S2016-04-02" in result.stdout


def test_list_json_names_both_builtins_as_valid() -> None:
    result = run("protocol", "list", "--json")
    rows = json.loads(result.stdout)
    assert [(r["registry_id"], r["valid"]) for r in rows] == [("NCT03392311", True), ("NCT04275024", True)]


def test_validate_valid_file_exits_0_with_hash() -> None:
    result = run("protocol", "validate", str(MINIMAL))
    assert result.returncode == 0
    assert "valid (content hash " in result.stdout


def test_validate_invalid_file_exits_2_one_line_per_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = MINIMAL.read_text().replace("route: INTRAVENOUS", "route: IV").replace("after: 3}", "after: -3}")
    bad.write_text(text)
    result = run("protocol", "validate", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f'{bad}:22: interventions[0].route: "IV" is not allowed')
    assert lines[1] == f"{bad}:43: visits[2].window.after: -3 is not allowed: must be >= 0"


def test_validate_malformed_json_gives_line_and_column_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format_version": 1,\n  "version": "1.0",,\n}')
    result = run("protocol", "validate", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{bad}:2:")


def test_validate_json_output_keeps_the_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.read_text().replace("count: 4,", "count: -1,"))
    result = run("protocol", "validate", str(bad), "--json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["invalid"] == [
        {
            "path": "design.enrollment.count",
            "message": "-1 is not allowed: must be >= 0",
            "source": str(bad),
            "line": 13,
        }
    ]


def test_missing_file_is_a_usage_error() -> None:
    result = run("protocol", "validate", "no-such-file.yaml")
    assert result.returncode == 2
    assert result.stderr.startswith("error: no-such-file.yaml: no such file, and not a built-in protocol")


def test_schema_is_a_json_schema_that_accepts_the_builtin_files() -> None:
    result = run("protocol", "schema")
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads(run("protocol", "show", "NCT04275024", "--json").stdout)
    del data["content_hash"]
    jsonschema.validate(data, schema)
    minimal = yaml.safe_load(MINIMAL.read_text())
    minimal["effective_date"] = str(minimal["effective_date"])
    jsonschema.validate(minimal, schema)


def test_import_ctgov_then_validate_reports_incomplete(tmp_path: Path) -> None:
    record = ROOT / "tests" / "fixtures" / "ctgov" / "NCT04275024.json"
    draft = tmp_path / "draft.yaml"
    result = run("protocol", "import-ctgov", str(record), "-o", str(draft))
    assert result.returncode == 0, result.stderr
    assert "items to complete" in result.stderr
    checked = run("protocol", "validate", str(draft))
    assert checked.returncode == 1
    assert "to_complete" in checked.stderr
    assert "incomplete:" in checked.stderr


def test_import_ctgov_refuses_a_file_that_is_not_a_record(tmp_path: Path) -> None:
    not_record = tmp_path / "x.json"
    not_record.write_text('{"studies": []}')
    result = run("protocol", "import-ctgov", str(not_record))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "protocolSection" in result.stderr
