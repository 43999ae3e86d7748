"""``dermtrial safety due``: the JSON contract, run through the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "dermtrial"


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, input=stdin, timeout=60, check=False)


CELLS = {"product": "AD-MSCs", "related": True, "expected": False}
CALCIPOTRIOL_EXPECTED = {"product": "Calcipotriol ointment", "related": True, "expected": True}


def test_cases_are_timed_in_the_same_order() -> None:
    batch = [
        {"awareness_date": "2019-08-01", "serious": True, "fatal_or_life_threatening": True, "products": [CELLS]},
        {"awareness_date": "2019-08-01", "serious": True, "fatal_or_life_threatening": False, "products": [CELLS]},
        {
            "awareness_date": "2019-08-01",
            "serious": True,
            "fatal_or_life_threatening": False,
            "products": [CALCIPOTRIOL_EXPECTED, {"product": "AD-MSCs", "related": False, "expected": False}],
        },
    ]
    done = run("safety", "due", stdin=json.dumps(batch))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {
            "expedited": True,
            "products": ["AD-MSCs"],
            "due_date": "2019-08-08",
            "clock_days": 7,
            "follow_up_due_date": "2019-08-16",
        },
        {"expedited": True, "products": ["AD-MSCs"], "due_date": "2019-08-16", "clock_days": 15,
         "follow_up_due_date": None},
        {"expedited": False, "products": [], "due_date": None, "clock_days": None, "follow_up_due_date": None},
    ]  # fmt: skip


def test_one_object_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    case = {"awareness_date": "2019-08-01", "serious": False, "fatal_or_life_threatening": False, "products": [CELLS]}
    path.write_text(json.dumps(case))
    done = run("safety", "due", "--input", str(path))
    assert json.loads(done.stdout)["expedited"] is False


def test_bad_input_exits_2_naming_field_value_and_allowed() -> None:
    done = run(
        "safety", "due", stdin='{"awareness_date": "2019-02-30", "serious": "yes", "products": [{"product": "x"}]}'
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert "awareness_date: '2019-02-30' is not allowed: a date YYYY-MM-DD" in lines
    assert "serious: 'yes' is not allowed: true or false" in lines
    assert "fatal_or_life_threatening: is required: true or false" in lines
    assert "products[0].related: is required: true or false" in lines


def test_a_fatal_case_marked_not_serious_is_refused_not_left_unreported() -> None:
    """ICH E2A: death and a life-threatening event are seriousness criteria; "not serious" with either is a
    contradiction that would silently drop a 7-day SUSAR clock, so it is bad input."""
    case = {"awareness_date": "2019-08-01", "serious": False, "fatal_or_life_threatening": True, "products": [CELLS]}
    done = run("safety", "due", stdin=json.dumps([case]))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "[0].fatal_or_life_threatening: true is not allowed with serious false: "
        "a fatal or life-threatening event is serious (ICH E2A)"
    ]


def test_a_product_assessed_twice_is_refused() -> None:
    """Relatedness and expectedness are per product: two answers for the same product cannot both stand."""
    twice = [CELLS, {"product": "AD-MSCs", "related": False, "expected": True}]
    case = {"awareness_date": "2019-08-01", "serious": True, "fatal_or_life_threatening": False, "products": twice}
    done = run("safety", "due", stdin=json.dumps(case))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == ["products[1].product: 'AD-MSCs' is not allowed: each product is assessed once"]
