"""The interface in English and Simplified Chinese: message catalogs as data (``messages/<language>.json``).

Every key exists in both catalogs (a test checks it) and keeps the same ``{placeholders}``. The language is the
signed-in user's choice (``app_user.language``); before sign-in it follows the browser's ``Accept-Language``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources

from dermtrial.services.sessions import LANGUAGES

Translate = Callable[..., str]


@cache
def catalog(language: str) -> dict[str, str]:
    """The messages of ``language`` (one of :data:`~dermtrial.services.sessions.LANGUAGES`)."""
    if language not in LANGUAGES:
        raise KeyError(f"no message catalog for {language!r}; languages: {', '.join(LANGUAGES)}")
    text = resources.files("dermtrial.web").joinpath("messages", f"{language}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {str(k): str(v) for k, v in data.items()}


def translator(language: str) -> Translate:
    """``t(key, **values)`` for ``language``; an unknown key raises KeyError (caught by the catalog test)."""
    messages = catalog(language)

    def t(key: str, **values: object) -> str:
        return messages[key].format(**values) if values else messages[key]

    return t


def from_accept_language(header: str | None) -> str:
    """The interface language for a browser's ``Accept-Language`` header (Chinese → zh-Hans, else English)."""
    for part in (header or "").split(","):
        tag = part.split(";", 1)[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-Hans"
        if tag.startswith("en"):
            return "en"
    return LANGUAGES[0]
