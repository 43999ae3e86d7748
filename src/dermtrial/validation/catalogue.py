"""The requirements catalogue (``requirements.yaml`` beside this module): id, one-line statement, source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from dermtrial.errors import InvalidInput, Problem

ID_PATTERN = re.compile(r"^(CLIN|REG)-[A-Z]+-\d{2}$")
CATALOGUE_NAME = "requirements.yaml"


@dataclass(frozen=True)
class Requirement:
    """One clinical rule or regulatory control that tests must prove."""

    id: str
    statement: str
    source: str

    @property
    def kind(self) -> str:
        """``clinical`` (CLIN-…) or ``regulatory`` (REG-…)."""
        return "clinical" if self.id.startswith("CLIN-") else "regulatory"


def parse_catalogue(text: str, source: str = CATALOGUE_NAME) -> list[Requirement]:
    """Read a catalogue; refuses a malformed one naming the entry and the field (ids unique, KIND-AREA-NN)."""
    data: Any = yaml.safe_load(text)
    entries = data.get("requirements") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput([Problem(("requirements",), "a list of requirements is needed", source)])
    problems: list[Problem] = []
    out: list[Requirement] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(Problem(("requirements", index), "each requirement is a mapping", source))
            continue
        for field in ("id", "statement", "source"):
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                problems.append(Problem(("requirements", index, field), "a non-empty text is needed", source))
        ident = entry.get("id")
        if isinstance(ident, str):
            if not ID_PATTERN.match(ident):
                problems.append(
                    Problem(("requirements", index, "id"), f'"{ident}" is not of the form CLIN-AREA-01', source)
                )
            if ident in seen:
                problems.append(Problem(("requirements", index, "id"), f'"{ident}" appears twice', source))
            seen.add(ident)
        if not problems:
            out.append(Requirement(entry["id"], entry["statement"].strip(), entry["source"].strip()))
    if problems:
        raise InvalidInput(problems)
    return out


def load_catalogue() -> list[Requirement]:
    """The catalogue shipped with dermtrial, in its file order."""
    text = resources.files("dermtrial.validation").joinpath(CATALOGUE_NAME).read_text(encoding="utf-8")
    return parse_catalogue(text)
