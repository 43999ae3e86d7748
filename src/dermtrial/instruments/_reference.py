"""Load the packaged clinical reference data (one YAML file per instrument, each naming its source).

The files live in ``dermtrial/instruments/data/`` and are read with :mod:`importlib.resources`, so they travel
inside the wheel. This is the only disk access the instruments core makes: packaged reference data, never site
or study data.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

DATA_PACKAGE = "dermtrial.instruments"
DATA_FOLDER = "data"


class ReferenceDataError(ValueError):
    """A packaged reference file that is missing a key or breaks its own rules (a packaging bug, not user
    input)."""


@cache
def load_reference(name: str) -> dict[str, Any]:
    """Return the parsed ``data/NAME.yaml``; it must hold a mapping with ``source`` and ``version``."""
    text = resources.files(DATA_PACKAGE).joinpath(DATA_FOLDER, f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ReferenceDataError(f"{name}.yaml: expected a mapping at the top level")
    for key in ("instrument", "version", "source", "licence"):
        if key not in data:
            raise ReferenceDataError(f"{name}.yaml: the key {key!r} is missing")
    return data


def require(data: dict[str, Any], key: str, where: str) -> Any:
    """``data[key]``, or a :class:`ReferenceDataError` naming the file and key."""
    if key not in data:
        raise ReferenceDataError(f"{where}: the key {key!r} is missing")
    return data[key]
