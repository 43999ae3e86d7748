"""Canonical JSON text, written fast: exactly the characters of
``json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)``.

The standard library writes indented JSON with its pure-Python encoder (its C encoder is used only without
``indent``), which takes seconds for the 50,000 per-subject objects of a registry-sized endpoints.json. This module
writes the same text with the standard library's own scalar encoders (``encode_basestring`` for text,
``float.__repr__`` and ``int.__repr__`` for numbers), and writes a long list of objects that all have the same keys
(the per-subject results) column by column through one row template.

Whatever it does not recognise (a subclass of a built-in type, a non-string key, a NaN or an infinity, a tuple) is
handed to ``json.dumps`` itself, indented to its place, so the text is always the standard library's and its errors
are the standard library's errors.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any

_INDENT = "  "
_CONSTANTS = {None: "null", True: "true", False: "false"}
_NOT_FINITE = {"nan", "inf", "-inf"}
_Piece = str | tuple[str, list[str]]
"""A piece of the text: text, or (separator, rows) for the rows of a long list, joined at the end."""


def dumps(value: Any) -> str:
    """The text of ``json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)``."""
    out: list[_Piece] = []
    _write(value, 0, out)
    return "".join(piece if type(piece) is str else piece[0].join(piece[1]) for piece in out)


def dumps_utf8(value: Any) -> bytes:
    """:func:`dumps` encoded in UTF-8, without building the whole text first (the long lists are encoded row by
    row, so a few non-ASCII rows do not widen the whole text)."""
    out: list[_Piece] = []
    _write(value, 0, out)
    return b"".join(
        piece.encode("utf-8")
        if type(piece) is str
        else piece[0].encode("utf-8").join([row.encode("utf-8") for row in piece[1]])
        for piece in out
    )


def _stdlib(value: Any, level: int) -> str:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    # JSON text holds no raw line break inside a string, so every line break is a layout one
    return text.replace("\n", "\n" + _INDENT * level) if level else text


def _scalar(value: Any) -> str | None:
    """The JSON text of a plain scalar, or None when ``value`` is not one (or is a float that JSON cannot hold)."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None or kind is bool:
        return _CONSTANTS[value]
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        text = float.__repr__(value)
        return None if text in _NOT_FINITE else text
    return None


def _write(value: Any, level: int, out: list[_Piece]) -> None:
    text = _scalar(value)
    if text is not None:
        out.append(text)
        return
    kind = type(value)
    if kind is dict and all(type(key) is str for key in value):
        if not value:
            out.append("{}")
            return
        inner = "\n" + _INDENT * (level + 1)
        separator = "{"
        for key in sorted(value):
            out.append(separator + inner + encode_basestring(key) + ": ")
            _write(value[key], level + 1, out)
            separator = ","
        out.append("\n" + _INDENT * level + "}")
    elif kind is list:
        if not value:
            out.append("[]")
            return
        inner = "\n" + _INDENT * (level + 1)
        rows = _same_shaped_rows(value, level + 1)
        if rows is not None:
            out += ["[" + inner, ("," + inner, rows), "\n" + _INDENT * level + "]"]
            return
        separator = "["
        for item in value:
            out.append(separator + inner)
            _write(item, level + 1, out)
            separator = ","
        out.append("\n" + _INDENT * level + "]")
    else:
        out.append(_stdlib(value, level))


def _template(sample: dict[str, Any], level: int) -> str | None:
    """The %-template of an object shaped like ``sample`` at ``level``, one ``%s`` per scalar in key order (nested
    objects inline); None when the shape does not qualify (an empty object, a list, a non-string key)."""
    if not sample or not all(type(key) is str for key in sample):
        return None
    inner = "\n" + _INDENT * (level + 1)
    parts = []
    for key in sorted(sample):
        slot: str | None = "%s"
        if type(sample[key]) is dict:
            slot = _template(sample[key], level + 1)
        elif type(sample[key]) in (list, tuple):
            slot = None
        if slot is None:
            return None
        parts.append(inner + encode_basestring(key).replace("%", "%%") + ": " + slot)
    return "{" + ",".join(parts) + "\n" + _INDENT * level + "}"


def _leaf_columns(items: list[Any], sample: dict[str, Any]) -> list[list[Any]] | None:
    """The values of the items at each scalar slot of ``sample``'s template, in the same order; None when an item is
    not a dict with exactly the keys of ``sample`` (nested objects alike)."""
    if set(map(type, items)) != {dict} or set(map(len, items)) != {len(sample)}:
        return None
    columns: list[list[Any]] = []
    for key in sorted(sample):
        try:
            values = list(map(itemgetter(key), items))
        except KeyError:  # as many keys, but another one
            return None
        if type(sample[key]) is dict:
            nested = _leaf_columns(values, sample[key])
            if nested is None:
                return None
            columns += nested
        else:
            columns.append(values)
    return columns


def _column(values: list[Any]) -> list[str] | None:
    """The JSON text of each scalar of a column; None when one is not a plain scalar or not finite."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return list(map(encode_basestring, values))
    if kinds <= {float, type(None)}:
        texts = ["null" if v is None else float.__repr__(v) for v in values]
        return None if _NOT_FINITE.intersection(texts) else texts
    if kinds <= {int, type(None)}:
        return ["null" if v is None else int.__repr__(v) for v in values]
    if kinds <= {bool, type(None)}:
        return [_CONSTANTS[v] for v in values]
    if kinds <= {str, type(None)}:
        return ["null" if v is None else encode_basestring(v) for v in values]
    each = [_scalar(v) for v in values]
    known = [text for text in each if text is not None]
    return known if len(known) == len(each) else None


def _same_shaped_rows(items: list[Any], level: int) -> list[str] | None:
    """The text of each item when all are objects of one shape (same keys, scalar or object values); else None."""
    sample = items[0]
    if len(items) < 2 or type(sample) is not dict:
        return None
    template = _template(sample, level)
    values = None if template is None else _leaf_columns(items, sample)
    if template is None or values is None:
        return None
    columns = []
    for column in values:
        texts = _column(column)
        if texts is None:
            return None
        columns.append(texts)
    return list(map(template.__mod__, zip(*columns, strict=True)))
