"""Load a site's licensed wording of a copyrighted questionnaire (DLQI, Zung SAS/SDS) from a YAML file's text.

dermtrial never ships such wording. A site that holds a licence keeps the text in its own file and the adapter
(a service, the web layer) reads the file and passes its *text* here: the core does not read the disk. The
file names the instrument, the language, the licence it is used under, and the text of every item by dermtrial
item code::

    instrument: dlqi
    language: zh-CN
    licence: "Licence reference given by the copyright holders"
    items:
      q1:
        text: "..."                      # the licensed wording of item 1
        options: {"3": "...", "2": "...", "1": "...", "0": "..."}   # answer value -> wording, optional
      ...

Every item code of the instrument must be present (see ``METADATA.items`` of each instrument); unknown codes,
an empty licence or a missing text are refused with one problem each, naming the file, the path and what is
allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from dermtrial.errors import InvalidInput, Problem
from dermtrial.instruments._metadata import InstrumentInfo


@dataclass(frozen=True)
class ItemText:
    """The licensed wording of one item and, optionally, of its answers."""

    text: str
    options: Mapping[str, str]


@dataclass(frozen=True)
class LicensedText:
    """A site's licensed wording of one instrument in one language."""

    instrument: str
    language: str
    licence: str
    items: Mapping[str, ItemText]


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _item(code: str, entry: Any, source: str, problems: list[Problem]) -> ItemText | None:
    if not isinstance(entry, Mapping):
        problems.append(Problem(("items", code), "expected a mapping with text (and optionally options)", source))
        return None
    for key in entry:
        if key not in ("text", "options"):
            problems.append(Problem(("items", code, str(key)), "unknown field (allowed: text, options)", source))
    if not _text(entry.get("text")):
        problems.append(Problem(("items", code, "text"), "required: the licensed wording, non-empty text", source))
    options = entry.get("options", {})
    if not isinstance(options, Mapping) or not all(_text(v) for v in options.values()):
        problems.append(Problem(("items", code, "options"), "expected a mapping of answer value to text", source))
        options = {}
    return ItemText(str(entry.get("text", "")).strip(), {str(k): str(v) for k, v in options.items()})


def parse_licensed_text(text: str, *, source: str, instrument: InstrumentInfo) -> LicensedText:
    """Parse and check a licensed-text file's content for ``instrument``; raise :class:`InvalidInput` if
    unusable."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        raise InvalidInput([Problem((), f"not valid YAML: {getattr(exc, 'problem', exc)}", source, line)]) from None
    if not isinstance(data, Mapping):
        raise InvalidInput([Problem((), "expected a mapping with instrument, language, licence and items", source)])
    problems: list[Problem] = []
    for key in data:
        if key not in ("instrument", "language", "licence", "items"):
            problems.append(
                Problem((str(key),), "unknown field (allowed: instrument, language, licence, items)", source)
            )
    if data.get("instrument") != instrument.name:
        shown = data.get("instrument")
        problems.append(Problem(("instrument",), f"{shown!r} is not allowed: must be {instrument.name!r}", source))
    for key, what in (
        ("language", "a language tag such as en or zh-CN"),
        ("licence", "the licence this text is used under"),
    ):
        if not _text(data.get(key)):
            problems.append(Problem((key,), f"required: {what}", source))
    entries = data.get("items")
    items: dict[str, ItemText] = {}
    if not isinstance(entries, Mapping):
        problems.append(Problem(("items",), "required: a mapping of item code to its text", source))
    else:
        codes = [item.code for item in instrument.items]
        for code in entries:
            if code not in codes:
                problems.append(
                    Problem(("items", str(code)), f"unknown item code (allowed: {', '.join(codes)})", source)
                )
        for code in codes:
            if code not in entries:
                problems.append(Problem(("items", code), "required field is missing", source))
                continue
            parsed = _item(code, entries[code], source, problems)
            if parsed is not None:
                items[code] = parsed
    if problems:
        raise InvalidInput(problems)
    return LicensedText(
        instrument=instrument.name,
        language=str(data["language"]).strip(),
        licence=str(data["licence"]).strip(),
        items=items,
    )
