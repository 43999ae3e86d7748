"""The demo built once for the tests of this folder (a new SQLite demo database and its report)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dermtrial.cli import app


@dataclass
class Built:
    """The demo built once: its database URL, its report folder and the first run's output. Tests that change the
    database work on a copy of it."""

    url: str
    out: Path
    stdout: str


@pytest.fixture(scope="package")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    out = folder / "report"
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--db", url, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return Built(url, out, result.stdout)
