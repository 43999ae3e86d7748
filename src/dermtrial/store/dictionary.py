"""Generate the data dictionary (``docs/data-dictionary.md``) from the models' attribute docstrings.

Every column's meaning is written once, as the string literal right after its declaration in
:mod:`dermtrial.store.models` (or in a mixin of :mod:`dermtrial.store.base`). ``make docs`` rewrites the part of the
document between two marker lines; a test fails when it is stale or when a column has no docstring.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import textwrap
from functools import cache

from sqlalchemy import Column, Table
from sqlalchemy.orm import DeclarativeBase

import dermtrial.store.models  # noqa: F401  (registers every table)
from dermtrial.store.base import Base, UTCDateTime

BEGIN = "<!-- BEGIN GENERATED DATA DICTIONARY (make docs) -->"
END = "<!-- END GENERATED DATA DICTIONARY -->"

#: Areas in the order the dictionary shows them: module name → heading.
AREAS = {
    "study": "Study, sites and reference ranges",
    "access": "Users, roles and access",
    "subject": "Subjects, identity, consent and visits",
    "clinical": "Clinical records",
    "review": "Review and control",
    "audit": "Audit trail",
}


@cache
def attribute_docstrings(cls: type) -> dict[str, str]:
    """Attribute name → docstring for ``cls`` and its bases (the nearest definition wins)."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("dermtrial.store"):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
        for statement, following in itertools.pairwise(body):
            if (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                found[statement.target.id] = inspect.cleandoc(following.value.value)
    return found


def mapped_classes() -> list[type[DeclarativeBase]]:
    """Every model class, grouped by area, in the order each module defines them."""
    classes = [mapper.class_ for mapper in Base.registry.mappers]
    order = list(AREAS)

    def key(cls: type) -> tuple[int, str, int]:
        module = cls.__module__.rsplit(".", 1)[1]
        return (order.index(module) if module in order else len(order)), module, inspect.getsourcelines(cls)[1]

    return sorted(classes, key=key)


def _type(column: Column[object]) -> str:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "UTC date-time"
    name = type(kind).__name__.lower()
    length = getattr(kind, "length", None)
    if name == "string" and length:
        return f"text({length})"
    if name == "numeric":
        return f"decimal({kind.precision},{kind.scale})"  # type: ignore[attr-defined]
    return {"largebinary": "bytes", "boolean": "true/false", "json": "JSON"}.get(name, name)


def _keys(column: Column[object]) -> str:
    parts = ["primary key"] if column.primary_key else []
    parts += [f"→ `{fk.column.table.name}.{fk.column.name}`" for fk in column.foreign_keys]
    if column.unique:
        parts.append("unique")
    return ", ".join(parts)


def _table(cls: type[DeclarativeBase]) -> Table:
    return Base.metadata.tables[str(cls.__tablename__)]


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("``", "`")


def undocumented_columns() -> list[str]:
    """``table.column`` for every column without an attribute docstring (should be empty)."""
    missing: list[str] = []
    for cls in mapped_classes():
        docs = attribute_docstrings(cls)
        table = _table(cls)
        missing += [f"{table.name}.{column.key}" for column in table.columns if column.key not in docs]
    return missing


def dictionary_markdown() -> str:
    """The generated part of ``docs/data-dictionary.md``."""
    lines = [BEGIN, ""]
    area = None
    for cls in mapped_classes():
        module = cls.__module__.rsplit(".", 1)[1]
        if module != area:
            area = module
            lines += [f"## {AREAS.get(module, module.replace('_', ' ').capitalize())}", ""]
        table = _table(cls)
        docs = attribute_docstrings(cls)
        lines += [f"### {table.name}", "", _one_line(inspect.cleandoc(cls.__doc__ or "")), ""]
        lines += ["| column | type | null | keys | meaning |", "|---|---|---|---|---|"]
        for column in table.columns:
            meaning = _one_line(docs.get(column.key, "(undocumented)"))
            null = "yes" if column.nullable else "no"
            lines.append(f"| `{column.name}` | {_type(column)} | {null} | {_keys(column)} | {meaning} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def splice(document: str) -> str:
    """Replace the generated part of ``document`` with a fresh one."""
    start, end = document.index(BEGIN), document.index(END) + len(END)
    return document[:start] + dictionary_markdown() + document[end:]


if __name__ == "__main__":
    import sys
    from pathlib import Path

    target = Path(sys.argv[1])
    target.write_text(splice(target.read_text(encoding="utf-8")), encoding="utf-8")
