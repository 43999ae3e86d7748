"""Docs are tested: every protocol field documented, every command in the user guide, every README command run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from dermtrial.cli import app
from dermtrial.protocol.reference import field_reference_markdown, reference_models

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_every_protocol_model_field_is_in_the_protocol_file_reference() -> None:
    document = (ROOT / "docs" / "protocol-file.md").read_text(encoding="utf-8")
    missing = [
        f"{model.__name__}.{field.alias or name}"
        for model in reference_models()
        for name, field in model.model_fields.items()
        if f"| `{field.alias or name}` |" not in document.split(f"### {model.__name__}\n", 1)[-1].split("###", 1)[0]
    ]
    assert missing == []


def test_every_protocol_field_has_a_description() -> None:
    undocumented = [
        f"{model.__name__}.{name}"
        for model in reference_models()
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert undocumented == []


def test_the_generated_field_reference_is_up_to_date() -> None:
    document = (ROOT / "docs" / "protocol-file.md").read_text(encoding="utf-8")
    assert field_reference_markdown() in document, "run 'make docs'"


def _command_paths(group: typer.core.TyperGroup, prefix: str) -> list[str]:
    paths: list[str] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, typer.core.TyperGroup):
            paths.extend(_command_paths(command, f"{prefix} {name}"))
        else:
            paths.append(f"{prefix} {name}")
    return paths


def test_every_cli_command_has_a_section_in_the_user_guide() -> None:
    guide = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    commands = _command_paths(root, "dermtrial")
    assert "dermtrial protocol validate" in commands
    assert [c for c in commands if f"### {c}\n" not in guide] == []


def _readme_commands() -> list[tuple[str, int]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands: list[tuple[str, int]] = []
    for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S):
        for line in block.splitlines():
            command, _, comment = line.partition("#")
            command = command.strip()
            if "dermtrial" not in command:
                continue
            expected = re.search(r"exit (\d)", comment)
            commands.append((command, int(expected.group(1)) if expected else 0))
    return commands


def test_the_readme_shows_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme
    assert "make test" in readme


@pytest.mark.parametrize(("command", "expected_exit"), _readme_commands())
def test_every_readme_command_runs(command: str, expected_exit: int, tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "fixtures" / "ctgov" / "NCT03392311.json", tmp_path / "NCT03392311.json")
    if "draft.yaml" in command and "import-ctgov" not in command:
        subprocess.run(
            [BIN / "dermtrial", "protocol", "import-ctgov", "NCT03392311.json", "-o", "draft.yaml"],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "120"}
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == expected_exit, result.stderr
    assert result.stdout.strip() or result.stderr.strip()
    assert "Traceback" not in result.stderr
