"""What the forms and exports need to know about an instrument besides its score: items, labels, licence.

Labels are given in English and Chinese where the wording may be shipped. For licensed questionnaires (DLQI,
Zung SAS and SDS) the labels are neutral placeholders written for dermtrial, never the questionnaire's
wording; a site loads its licensed text with :func:`dermtrial.instruments.licensed_text.parse_licensed_text`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dermtrial.instruments._reference import ReferenceDataError, require


@dataclass(frozen=True)
class ItemInfo:
    """One item of an instrument as the forms and exports see it."""

    code: str
    """Stable dermtrial item code, also the JSON key or path of the item in the input."""
    label_en: str
    label_zh: str
    allowed: str
    """The allowed values in words, e.g. ``0–4`` or ``0–3 or "not_relevant"``."""
    cdisc_code: str | None = None
    """CDISC QRS test code (QSTESTCD) where one is published, e.g. ``DLQI101``; None otherwise."""


@dataclass(frozen=True)
class InstrumentInfo:
    """Metadata of one instrument: its name, the scoring version stored with every result, source and
    licence."""

    name: str
    title: str
    version: str
    source: str
    licence: str
    text_shipped: bool
    """True when the item labels are the instrument's own wording (free to ship); False for placeholders."""
    items: tuple[ItemInfo, ...]


def items_from_data(entries: Any, where: str) -> tuple[ItemInfo, ...]:
    """Build :class:`ItemInfo` rows from a reference file's ``items`` list."""
    if not isinstance(entries, list):
        raise ReferenceDataError(f"{where}: 'items' must be a list")
    out: list[ItemInfo] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise ReferenceDataError(f"{where}: each item must be a mapping")
        out.append(
            ItemInfo(
                code=str(require(dict(entry), "code", where)),
                label_en=str(require(dict(entry), "label_en", where)),
                label_zh=str(require(dict(entry), "label_zh", where)),
                allowed=str(require(dict(entry), "allowed", where)),
                cdisc_code=None if entry.get("cdisc_code") is None else str(entry["cdisc_code"]),
            )
        )
    return tuple(out)


def info_from_data(data: Mapping[str, Any], *, name: str, title: str, items: tuple[ItemInfo, ...]) -> InstrumentInfo:
    """The common part of every instrument's metadata, read from its reference file."""
    return InstrumentInfo(
        name=name,
        title=title,
        version=str(data["version"]),
        source=" ".join(str(data["source"]).split()),
        licence=" ".join(str(data["licence"]).split()),
        text_shipped=bool(data.get("text_shipped", False)),
        items=items,
    )
