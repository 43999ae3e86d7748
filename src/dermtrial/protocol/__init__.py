"""The protocol as data: the file format, its loader and the built-in protocols.

Public surface (tested): :class:`Protocol` and its parts in :mod:`dermtrial.protocol.model`, the loaders
:func:`load_text` / :func:`load_file` / :func:`validate_text`, :func:`content_hash`, and the built-in registry
:func:`load_builtin` / :func:`builtin_ids`.
"""

from dermtrial.protocol.builtin import builtin_ids, load_builtin
from dermtrial.protocol.loader import ValidationReport, content_hash, load_file, load_text, validate_text
from dermtrial.protocol.model import Protocol

__all__ = [
    "Protocol",
    "ValidationReport",
    "builtin_ids",
    "content_hash",
    "load_builtin",
    "load_file",
    "load_text",
    "validate_text",
]
