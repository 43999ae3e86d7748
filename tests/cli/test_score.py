"""``dermtrial score INSTRUMENT [--input FILE]``: the JSON contract other tools rely on, with its messages pinned."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dermtrial.cli import app

BIN = Path(sys.executable).parent / "dermtrial"

PASI_EXAMPLE = {
    "head": {"erythema": 2, "induration": 1, "desquamation": 2, "area": 3},
    "upper_limbs": {"erythema": 1, "induration": 1, "desquamation": 1, "area_percent": 12.5},
    "trunk": {"erythema": 2, "induration": 2, "desquamation": 2, "area": 0},
    "lower_limbs": {"erythema": 3, "induration": 3, "desquamation": 2, "area": 4},
}
PASI_RESULT = {
    "pasi": 15.5,
    "regions": {"head": 1.5, "upper_limbs": 1.2, "trunk": 0.0, "lower_limbs": 12.8},
    "flags": [{"region": "trunk", "problem": "signs_without_area"}],
    "version": "PASI-1978/dermtrial-1",
}
# SDS answers as ticked whose raw score is 43 (index 53.75).
SDS_43 = [4, 1, 4, 4, 1, 1, 4, 3, 1, 1, 4, 4, 1, 4, 1, 4, 4, 4, 1, 4]


def installed(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    """Run the real console script, as other tools do."""
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, input=stdin, timeout=60, check=False)


def invoke(*args: str, stdin: str = "") -> Any:
    return CliRunner().invoke(app, list(args), input=stdin)


# Through the installed console script ---------------------------------------------------------------------------


def test_installed_script_scores_one_pasi_object() -> None:
    result = installed("score", "pasi", stdin=json.dumps(PASI_EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == PASI_RESULT
    assert result.stderr == ""


def test_installed_script_scores_a_batch_in_order_and_refuses_a_bad_batch_whole() -> None:
    good = installed(
        "score", "pasi-response", stdin='[{"baseline": 11.2, "followup": 2.8}, {"baseline": 0, "followup": 0}]'
    )
    assert good.returncode == 0, good.stderr
    assert [r["pasi75"] for r in json.loads(good.stdout)] == [True, None]

    bad = installed("score", "pasi", stdin=json.dumps([PASI_EXAMPLE] * 3 + [_with(head={"erythema": 5})]))
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.splitlines() == ["[3].head.erythema: 5 is not allowed: must be a whole number 0–4"]


def test_installed_script_reads_a_file_with_input(tmp_path: Path) -> None:
    path = tmp_path / "sds.json"
    path.write_text(json.dumps({"items": SDS_43}), encoding="utf-8")
    result = installed("score", "zung-sds", "--input", str(path), stdin="")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"raw": 43, "index": 53, "conversion": "integer_part", "band": "mild"}


# The contract, instrument by instrument -------------------------------------------------------------------------


def _with(**regions: dict[str, Any]) -> dict[str, Any]:
    return {name: PASI_EXAMPLE[name] | regions.get(name, {}) for name in PASI_EXAMPLE}


@pytest.mark.parametrize(
    ("instrument", "given", "expected"),
    [
        ("pasi", PASI_EXAMPLE, PASI_RESULT),
        (
            "pasi-response",
            {"baseline": 11.2, "followup": 2.8},  # exactly 75 %: a PASI75 responder
            {"improvement_percent": 75.0, "pasi50": True, "pasi75": True, "pasi90": False, "pasi100": False},
        ),
        (
            "pasi-response",
            {"baseline": 10.0, "followup": 10.5},  # worse: negative improvement
            {"improvement_percent": -5.0, "pasi50": False, "pasi75": False, "pasi90": False, "pasi100": False},
        ),
        (
            "pasi-response",
            {"baseline": 0, "followup": 2.8},  # baseline 0: not computable, all flags null
            {
                "improvement_percent": None,
                "pasi50": None,
                "pasi75": None,
                "pasi90": None,
                "pasi100": None,
                "not_computable": "the baseline PASI is 0, so an improvement relative to it is undefined",
            },
        ),
        ("zung-sds", {"items": SDS_43}, {"raw": 43, "index": 53, "conversion": "integer_part", "band": "mild"}),
        (
            "zung-sds",
            {"items": SDS_43, "conversion": "round_half_up"},  # the same answers, 54 by rounding half up
            {"raw": 43, "index": 54, "conversion": "round_half_up", "band": "mild"},
        ),
        (
            "zung-sas",
            {"items": [1] * 20},  # reverse items 5, 9, 13, 17, 19 count 4: raw 35, index 43.75
            {"raw": 35, "index": 43, "conversion": "integer_part", "band": "normal"},
        ),
        (
            "bsa",
            {"percent": 12.5},
            {
                "bsa_percent": 12.5,
                "method": "percent",
                "palm_includes_fingers": None,
                "version": "BSA-palm/dermtrial-1",
            },
        ),
        ("spga", {"spga": 1}, {"spga": 1, "label": "almost_clear", "version": "sPGA-5/dermtrial-1"}),
        ("itch", {"nrs": 7}, {"scale": "nrs", "score": 7, "maximum": 10, "version": "ITCH-NRS11-VAS100/dermtrial-1"}),
        (
            "dlqi",
            {
                "q1": 3,
                "q2": 2,
                "q3": 1,
                "q4": "not_relevant",
                "q5": 0,
                "q6": 0,
                "q7": {"prevented": "yes"},
                "q8": 1,
                "q9": 0,
                "q10": 2,
            },
            {
                "total": 12,
                "band": "very_large",
                "items": [3, 2, 1, 0, 0, 0, 3, 1, 0, 2],
                "unanswered": [],
                "flags": [],
                "version": "DLQI-1994/dermtrial-1",
            },
        ),
    ],
)
def test_score_output_contract(instrument: str, given: Any, expected: Any) -> None:
    result = invoke("score", instrument, stdin=json.dumps(given))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_improvement_percent_is_within_1e_9_of_the_exact_value() -> None:
    result = invoke("score", "pasi-response", stdin='{"baseline": 30.0, "followup": 20.0}')
    assert abs(json.loads(result.stdout)["improvement_percent"] - 100 / 3) < 1e-9


def test_pasi_is_printed_as_its_exact_one_decimal_value() -> None:
    # 0.1×1×1 + 0.2×1×4 + 0.3×1×6 + 0.4×8×6 is 21.900000000000002 in floats.
    given = {
        "head": {"erythema": 1, "induration": 0, "desquamation": 0, "area": 1},
        "upper_limbs": {"erythema": 0, "induration": 1, "desquamation": 0, "area": 4},
        "trunk": {"erythema": 0, "induration": 0, "desquamation": 1, "area": 6},
        "lower_limbs": {"erythema": 3, "induration": 3, "desquamation": 2, "area": 6},
    }
    result = invoke("score", "pasi", stdin=json.dumps(given))
    assert '"pasi": 21.9,' in result.stdout


def test_an_empty_array_gives_an_empty_array() -> None:
    result = invoke("score", "zung-sas", stdin="[]")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_a_batch_of_one_is_still_an_array() -> None:
    result = invoke("score", "spga", stdin='[{"spga": 0}]')
    assert json.loads(result.stdout) == [{"spga": 0, "label": "clear", "version": "sPGA-5/dermtrial-1"}]


# Bad input: exit 2, nothing on stdout, one pinned line per problem ----------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "stdin", "lines"),
    [
        # A value out of range, in a batch: the array index leads the path.
        (
            "pasi",
            json.dumps([PASI_EXAMPLE, _with(head={"erythema": 5})]),
            ["[1].head.erythema: 5 is not allowed: must be a whole number 0–4"],
        ),
        # A PASI score given as 2.5, and as text: refused, not coerced.
        (
            "pasi",
            json.dumps(_with(trunk={"induration": 2.5})),
            ["trunk.induration: 2.5 is not allowed: must be a whole number 0–4"],
        ),
        (
            "pasi",
            json.dumps(_with(trunk={"induration": "2"})),
            ['trunk.induration: "2" is not allowed: must be a whole number 0–4'],
        ),
        # An area_percent of 101.
        (
            "pasi",
            json.dumps(_with(upper_limbs={"area_percent": 101})),
            ["upper_limbs.area_percent: 101 is not allowed: must be a number 0–100"],
        ),
        # A missing key and an unknown key.
        (
            "pasi-response",
            '{"baseline": 11.2, "follow_up": 2.8}',
            ["followup: required field is missing", "follow_up: unknown field (not part of the format)"],
        ),
        # 19 Zung items.
        (
            "zung-sas",
            json.dumps({"items": [2] * 19}),
            [
                "items: a list is not allowed: must be a list of exactly 20 answers (1–4, or null when unanswered) "
                "in questionnaire order; got 19"
            ],
        ),
        # A wrong type at the top level, and inside a batch.
        ("spga", "3", ["(top level): 3 is not allowed: expected a mapping of fields"]),
        ("spga", '[{"spga": 2}, "x"]', ['[1]: "x" is not allowed: expected a mapping of fields']),
        # Several problems across a batch come out in input order.
        (
            "spga",
            '[{"spga": 9}, {"spga": 1}, {"spga": true}, {"spga": 1, "note": ""}]',
            [
                "[0].spga: 9 is not allowed: must be a whole number 0–4",
                "[2].spga: true is not allowed: must be a whole number 0–4",
                "[3].note: unknown field (not part of the format)",
            ],
        ),
        # JSON the parser reads but the contract refuses.
        (
            "spga",
            '{"spga": 1, "spga": 4}',
            ['<stdin>: (top level): not valid input: the key "spga" appears twice in one object'],
        ),
        (
            "pasi-response",
            '{"baseline": NaN, "followup": 1}',
            ["<stdin>: (top level): not valid input: NaN is not a JSON number"],
        ),
    ],
)
def test_bad_input_exits_2_with_one_stderr_line_per_problem(instrument: str, stdin: str, lines: list[str]) -> None:
    result = invoke("score", instrument, stdin=stdin)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == lines


@pytest.mark.parametrize(
    ("stdin", "line"),
    [
        (
            '{"baseline": 11.2,, }',
            "<stdin>:1:19: (top level): not valid JSON: Expecting property name enclosed in double quotes",
        ),
        (
            '[\n  {"baseline": 11.2, "followup": 2.8}\n  {"baseline": 1}\n]',
            "<stdin>:3:3: (top level): not valid JSON: Expecting ',' delimiter",
        ),
        ("", "<stdin>:1:1: (top level): not valid JSON: Expecting value"),
    ],
)
def test_malformed_json_exits_2_with_line_and_column_and_no_traceback(stdin: str, line: str) -> None:
    result = invoke("score", "pasi-response", stdin=stdin)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [line]


def test_a_missing_input_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("score", "pasi", "--input", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.json'}: no such file"


def test_an_unknown_instrument_is_a_usage_error_listing_the_eight() -> None:
    result = invoke("score", "easi", stdin="{}")
    assert result.exit_code == 2
    assert "pasi-response" in result.stderr
    assert "zung-sds" in result.stderr
