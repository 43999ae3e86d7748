"""Conventions every command follows: database choice, exit codes for usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dermtrial.cli._common import DATABASE_ENV, DEFAULT_DATABASE_URL, database_url

BIN = Path(sys.executable).parent / "dermtrial"


def test_db_option_wins_over_environment_which_wins_over_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_ENV, raising=False)
    assert database_url(None) == DEFAULT_DATABASE_URL == "sqlite:///dermtrial.db"
    monkeypatch.setenv(DATABASE_ENV, "postgresql+psycopg://postgres@127.0.0.1:5432/x")
    assert database_url(None) == "postgresql+psycopg://postgres@127.0.0.1:5432/x"
    assert database_url("sqlite:///other.db") == "sqlite:///other.db"


def test_unknown_option_is_a_usage_error_exit_2() -> None:
    result = subprocess.run([str(BIN), "protocol", "list", "--nope"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "--nope" in result.stderr


def test_version_prints_the_package_version() -> None:
    result = subprocess.run([str(BIN), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("dermtrial 0.")
