"""docs/instruments.md is tested: every instrument has a full section, and every `dermtrial score` example runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dermtrial.instruments import INSTRUMENTS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "instruments.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
PARTS = ("**Items.**", "**Formula.**", "**Source.**", "**Edge rules.**", "**Example.**")


def section(name: str) -> str:
    """The text under ``## name`` up to the next ``## `` heading ('' when there is none)."""
    match = re.search(rf"^## {re.escape(name)}\n(.*?)(?=^## |\Z)", DOC, flags=re.S | re.M)
    return match.group(1) if match else ""


@pytest.mark.parametrize("name", sorted(INSTRUMENTS))
def test_every_instrument_has_a_section_with_items_formula_source_edge_rules_and_example(name: str) -> None:
    text = section(name)
    assert text, f"docs/instruments.md has no '## {name}' section"
    assert [part for part in PARTS if part not in text] == []
    assert f"`{INSTRUMENTS[name].metadata.version}`" in text, "the section must state the scoring version"
    assert f"dermtrial score {name}" in text, "the section must show a CLI example"


def test_every_instrument_heading_names_a_registered_instrument() -> None:
    headings = re.findall(r"^## ([a-z][a-z-]*)$", DOC, flags=re.M)
    assert sorted(headings) == sorted(INSTRUMENTS)


def _examples() -> list[tuple[str, str, str]]:
    """(command, kind, expected) for every sh block followed by a json (stdout) or text (stderr, exit 2) block."""
    pattern = r"```sh\n(.*?)\n```\n\n```(json|text)\n(.*?)\n```"
    return [(m[0], m[1], m[2]) for m in re.findall(pattern, DOC, flags=re.S)]


def test_the_doc_has_an_example_for_every_instrument_and_an_error_example() -> None:
    examples = _examples()
    shown = {name for command, _, _ in examples for name in re.findall(r"dermtrial score (\S+)", command)}
    assert shown == set(INSTRUMENTS)
    assert any(kind == "text" for _, kind, _ in examples)


@pytest.mark.parametrize(("command", "kind", "expected"), _examples())
def test_every_documented_example_gives_the_documented_output(command: str, kind: str, expected: str) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    shell = command.partition("#")[0].strip() if "# exit" in command else command
    result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, env=env, timeout=60, check=False)
    if kind == "json":
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == json.loads(expected)
    else:
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.splitlines() == expected.splitlines()
