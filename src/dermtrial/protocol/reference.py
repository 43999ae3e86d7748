"""Generate the field reference of the protocol file format from the models' attribute docstrings.

``docs/protocol-file.md`` holds the generated part between two marker lines; ``make docs`` rewrites it and a test
fails when it is out of date, so that no field goes undocumented.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from dermtrial.protocol.model import Protocol

BEGIN = "<!-- BEGIN GENERATED FIELD REFERENCE (make docs) -->"
END = "<!-- END GENERATED FIELD REFERENCE -->"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + (
            " or null" if type(None) in args else ""
        )
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    name = getattr(annotation, "__name__", None) or str(annotation)
    return {"str": "text", "int": "integer", "float": "number", "bool": "true/false", "date": "date"}.get(name, name)


def reference_models() -> list[type[BaseModel]]:
    """Every model reachable from :class:`Protocol`, in first-seen order."""
    order: list[type[BaseModel]] = []
    queue: list[type[BaseModel]] = [Protocol]
    while queue:
        model = queue.pop(0)
        if model in order:
            continue
        order.append(model)
        for field in model.model_fields.values():
            queue.extend(_models_in(field.annotation))
    return order


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        return "empty" if value in ([], {}) else "see its fields"
    if field.default is None:
        return "optional"
    default = field.default if field.default is not PydanticUndefined else ""
    return f"default `{str(default).lower() if isinstance(default, bool) else default}`"


def _one_line(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").replace("|", "\\|").strip()


def field_reference_markdown() -> str:
    """The generated reference: one table per model."""
    lines: list[str] = [BEGIN, ""]
    for model in reference_models():
        lines.append(f"### {model.__name__}")
        lines.append("")
        lines.append(_one_line(model.__doc__))
        lines.append("")
        lines.append("| field | type | presence | meaning |")
        lines.append("|---|---|---|---|")
        for name, field in model.model_fields.items():
            key = field.alias or name
            lines.append(
                f"| `{key}` | {_type_name(field.annotation)} | {_default(field)} | {_one_line(field.description)} |"
            )
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def splice(document: str) -> str:
    """Replace the generated part of ``document`` with a fresh one."""
    start, end = document.index(BEGIN), document.index(END) + len(END)
    return document[:start] + field_reference_markdown() + document[end:]


if __name__ == "__main__":
    import sys
    from pathlib import Path

    target = Path(sys.argv[1])
    target.write_text(splice(target.read_text(encoding="utf-8")), encoding="utf-8")
