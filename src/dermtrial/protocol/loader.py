"""Read a protocol file: YAML (or JSON) → :class:`Protocol`, with every problem tied to its line.

Three kinds of finding, reported by :func:`validate_text`:

- *syntax*: malformed YAML/JSON, duplicate keys (line and column);
- *invalid*: a field of the wrong type or range, an unknown key, a reference to something that does not exist;
- *incomplete*: a structurally valid draft that cannot run yet (its ``to_complete`` list, unclassified criteria …).

The first two are bad input (CLI exit 2); the third is a failed check (exit 1).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dermtrial.errors import InvalidInput, Problem, problems_from_validation_error, sort_problems
from dermtrial.modeling import json_default
from dermtrial.protocol.checks import check_completeness, check_references
from dermtrial.protocol.model import Protocol

PathKey = tuple[str | int, ...]


class _LineLoader(yaml.SafeLoader):
    """A safe loader that keeps dates as text, so that the model parses them and names the line of a bad one."""


_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _lines(node: yaml.Node, path: PathKey, out: dict[PathKey, int], dups: list[Problem]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                dups.append(
                    Problem(
                        path=(*path, key),
                        message="duplicate key (each key may appear once)",
                        line=key_node.start_mark.line + 1,
                        column=key_node.start_mark.column + 1,
                    )
                )
            seen.add(key)
            out[(*path, key)] = key_node.start_mark.line + 1
            _lines(value_node, (*path, key), out, dups)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _lines(child, (*path, index), out, dups)


@dataclass
class ParsedText:
    """Parsed YAML: the data and the line of every path."""

    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """The line of ``path``, or of its nearest ancestor that is in the file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def parse_yaml(text: str, source: str) -> ParsedText:
    """Parse YAML (JSON is YAML) keeping line numbers; raise :class:`InvalidInput` with line and column."""
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InvalidInput([Problem(path=(), message="the file is empty", source=source, line=1)])
        dups: list[Problem] = []
        lines: dict[PathKey, int] = {}
        _lines(node, (), lines, dups)
        if dups:
            raise InvalidInput([_with_source(p, source) for p in dups])
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        message = f"malformed YAML: {exc.problem or exc.context}"
        raise InvalidInput([Problem(path=(), message=message, source=source, line=line, column=column)]) from exc
    except yaml.YAMLError as exc:
        raise InvalidInput([Problem(path=(), message=f"malformed YAML: {exc}", source=source)]) from exc
    finally:
        loader.dispose()
    return ParsedText(data=data, lines=lines)


def _with_source(problem: Problem, source: str, parsed: ParsedText | None = None) -> Problem:
    line = problem.line
    if line is None and parsed is not None:
        line = parsed.line_of(problem.path)
    return Problem(
        path=problem.path,
        message=problem.message,
        source=source,
        line=line,
        column=problem.column,
        value=problem.value,
    )


@dataclass
class ValidationReport:
    """The outcome of validating one protocol file."""

    source: str
    protocol: Protocol | None
    invalid: list[Problem]
    incomplete: list[Problem]

    @property
    def exit_code(self) -> int:
        """2 when invalid (bad input), 1 when only incomplete, 0 when valid."""
        if self.invalid:
            return 2
        return 1 if self.incomplete else 0


def validate_text(text: str, source: str) -> ValidationReport:
    """Validate protocol text fully: syntax, structure, references, completeness."""
    try:
        parsed = parse_yaml(text, source)
    except InvalidInput as exc:
        return ValidationReport(source, None, exc.problems, [])
    if not isinstance(parsed.data, dict):
        problem = Problem(path=(), message="a protocol file is a mapping of fields", source=source, line=1)
        return ValidationReport(source, None, [problem], [])
    try:
        protocol = Protocol.model_validate(parsed.data)
    except ValidationError as exc:
        problems = [_with_source(p, source, parsed) for p in problems_from_validation_error(exc)]
        return ValidationReport(source, None, sort_problems(problems), [])
    invalid = [_with_source(p, source, parsed) for p in check_references(protocol)]
    incomplete = [_with_source(p, source, parsed) for p in check_completeness(protocol)]
    return ValidationReport(source, protocol, sort_problems(invalid), sort_problems(incomplete))


def load_text(text: str, source: str, *, allow_incomplete: bool = False) -> Protocol:
    """Load protocol text or raise :class:`InvalidInput` with every problem."""
    report = validate_text(text, source)
    problems = report.invalid + ([] if allow_incomplete else report.incomplete)
    if problems or report.protocol is None:
        raise InvalidInput(problems)
    return report.protocol


def load_file(path: Path, *, allow_incomplete: bool = False) -> Protocol:
    """Load a protocol file from disk."""
    return load_text(path.read_text(encoding="utf-8"), str(path), allow_incomplete=allow_incomplete)


def canonical_json(protocol: Protocol) -> str:
    """The canonical encoding hashed for the content hash: sorted keys, no whitespace, defaults included."""
    data = protocol.model_dump(mode="json", by_alias=True)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=json_default)


def content_hash(protocol: Protocol) -> str:
    """SHA-256 of the canonical encoding: the same protocol gives the same hash whatever its YAML layout."""
    return hashlib.sha256(canonical_json(protocol).encode("utf-8")).hexdigest()
