"""The simulation's parameters: ``data/psoriasis.yaml``, each number with its source beside it in the file.

:func:`load_params` reads the shipped file (or another one with the same keys); :class:`Params` gives typed access by
dotted path, so a missing or mistyped key fails with the path named instead of deep inside a draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FILE = "psoriasis.yaml"


@dataclass(frozen=True)
class Params:
    """Parsed parameters with typed look-ups by dotted path (``"visits.missed_rate"``)."""

    data: dict[str, Any]
    source: str
    _found: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def get(self, path: str) -> Any:
        """The raw value at ``path``; KeyError naming the file and the path when it is missing."""
        if path in self._found:
            return self._found[path]
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"{self.source}: no parameter {path}")
            node = node[part]
        self._found[path] = node
        return node

    def number(self, path: str) -> float:
        """A number at ``path``."""
        value = self.get(path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{self.source}: {path} must be a number, not {value!r}")
        return float(value)

    def pair(self, path: str) -> tuple[float, float]:
        """A two-number list at ``path`` (a range [low, high] or [mean, SD])."""
        value = self.get(path)
        if not isinstance(value, list) or len(value) != 2:
            raise TypeError(f"{self.source}: {path} must be a list of two numbers, not {value!r}")
        return float(value[0]), float(value[1])

    def weights(self, path: str) -> dict[str, float]:
        """A mapping name → relative weight at ``path``."""
        value = self.get(path)
        if not isinstance(value, dict) or not value:
            raise TypeError(f"{self.source}: {path} must be a mapping of names to weights")
        return {str(k): float(v[0] if isinstance(v, list) else v) for k, v in value.items()}


def read_params(text: str, source: str) -> Params:
    """Parameters from YAML text (``source`` names it in errors)."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or data.get("version") != 1:
        raise ValueError(f"{source}: not a dermtrial simulation parameter file (version: 1 expected)")
    return Params(data, source)


@cache
def load_params(path: str | None = None) -> Params:
    """The shipped parameters, or those of the file at ``path``."""
    if path is not None:
        return read_params(Path(path).read_text("utf-8"), path)
    text = resources.files("dermtrial.simulate").joinpath("data", DEFAULT_FILE).read_text("utf-8")
    return read_params(text, f"dermtrial/simulate/data/{DEFAULT_FILE}")
