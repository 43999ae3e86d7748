"""dermtrial serve refuses to start on bad settings or an unusable database (exit 2, naming what is wrong)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dermtrial.cli import app

GOOD_SECRET = "s" * 40


def _serve(*args: str, env: dict[str, str]) -> object:
    base = {
        "DERMTRIAL_SECRET_KEY": "",
        "DERMTRIAL_DEMO": "",
        "DERMTRIAL_IDLE_MINUTES": "",
        "DERMTRIAL_COOKIE_SECURE": "",
    }
    return CliRunner().invoke(app, ["serve", *args], env=base | env)


def test_serve_without_a_secret_exits_2_naming_the_variable(tmp_path: Path) -> None:
    result = _serve("--db", f"sqlite:///{tmp_path / 'x.db'}", env={})
    assert result.exit_code == 2
    assert "DERMTRIAL_SECRET_KEY is not set" in result.stderr


def test_serve_with_a_placeholder_secret_exits_2(tmp_path: Path) -> None:
    result = _serve("--db", f"sqlite:///{tmp_path / 'x.db'}", env={"DERMTRIAL_SECRET_KEY": "changeme"})
    assert result.exit_code == 2
    assert "is a placeholder" in result.stderr


def test_serve_on_an_empty_database_exits_2_before_listening(tmp_path: Path) -> None:
    result = _serve("--db", f"sqlite:///{tmp_path / 'empty.db'}", env={"DERMTRIAL_SECRET_KEY": GOOD_SECRET})
    assert result.exit_code == 2
    assert "is empty: run dermtrial init first" in result.stderr


def test_serve_refuses_a_port_outside_1_to_65535(tmp_path: Path) -> None:
    result = _serve("--port", "70000", env={"DERMTRIAL_SECRET_KEY": GOOD_SECRET})
    assert result.exit_code == 2
