"""The protocols shipped with dermtrial (YAML files in ``protocol/files/``), found by registry id."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from dermtrial.protocol.loader import ValidationReport, load_text, validate_text
from dermtrial.protocol.model import Protocol

_PACKAGE = "dermtrial.protocol.files"


def builtin_ids() -> list[str]:
    """Registry ids of the built-in protocols, sorted."""
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in resources.files(_PACKAGE).iterdir()
        if entry.name.endswith(".yaml")
    )


def builtin_text(registry_id: str) -> str:
    """The YAML text of a built-in protocol (KeyError if there is none)."""
    if registry_id not in builtin_ids():
        raise KeyError(registry_id)
    return resources.files(_PACKAGE).joinpath(f"{registry_id}.yaml").read_text(encoding="utf-8")


def builtin_source(registry_id: str) -> str:
    """How messages name a built-in file."""
    return f"builtin:{registry_id}.yaml"


def load_builtin(registry_id: str) -> Protocol:
    """Load a built-in protocol by registry id."""
    return load_text(builtin_text(registry_id), builtin_source(registry_id))


def validate_builtin(registry_id: str) -> ValidationReport:
    """Validate a built-in protocol."""
    return validate_text(builtin_text(registry_id), builtin_source(registry_id))


def resolve(id_or_file: str) -> tuple[str, str]:
    """Text and source name for a registry id of a built-in protocol or a path to a protocol file.

    Raises FileNotFoundError when it is neither.
    """
    upper = id_or_file.upper()
    if upper in builtin_ids() and not Path(id_or_file).is_file():
        return builtin_text(upper), builtin_source(upper)
    path = Path(id_or_file)
    if path.is_file():
        return path.read_text(encoding="utf-8"), str(path)
    raise FileNotFoundError(id_or_file)
