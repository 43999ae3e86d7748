"""Every package imports on its own, first, in a fresh interpreter: no import cycle depends on import order."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import dermtrial

PACKAGES = sorted(
    f"dermtrial.{info.name}" for info in pkgutil.iter_modules(dermtrial.__path__) if not info.name.startswith("_")
)


def test_the_package_list_is_not_empty() -> None:
    assert {"dermtrial.forms", "dermtrial.protocol", "dermtrial.instruments"} <= set(PACKAGES)


@pytest.mark.parametrize("name", PACKAGES)
def test_imports_first_in_a_fresh_interpreter(name: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
