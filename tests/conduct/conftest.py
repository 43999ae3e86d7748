"""The built-in protocol the conduct rules are tested against."""

from __future__ import annotations

import pytest

from dermtrial.protocol.builtin import load_builtin
from dermtrial.protocol.model import Protocol


@pytest.fixture(scope="session")
def protocol() -> Protocol:
    """NCT03392311 as shipped."""
    return load_builtin("NCT03392311")
