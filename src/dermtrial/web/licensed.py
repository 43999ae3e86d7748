"""The site's licensed questionnaire wording for the web pages (the adapter of ``instruments.licensed_text``).

dermtrial ships no licensed wording. A site that holds a licence puts one YAML file per instrument and interface
language in the folder named by ``DERMTRIAL_LICENSED_TEXT_DIR``: ``<instrument>.<language>.yaml``, for example
``zung-sas.en.yaml`` and ``zung-sas.zh-Hans.yaml`` (the format of docs/instruments.md, checked by
:func:`~dermtrial.instruments.licensed_text.parse_licensed_text`). Without a file the page shows neutral question
numbers. A file that does not pass the check is refused on the page, naming the file, the field and what is allowed.
"""

from __future__ import annotations

from pathlib import Path

from dermtrial.errors import InvalidInput, Problem
from dermtrial.instruments import INSTRUMENTS
from dermtrial.instruments.licensed_text import LicensedText, parse_licensed_text


def licensed_text(folder: str | None, instrument: str, language: str) -> LicensedText | None:
    """The licensed wording of ``instrument`` in ``language`` from ``folder``; None when there is none."""
    if folder is None or instrument not in INSTRUMENTS:
        return None
    path = Path(folder) / f"{instrument}.{language}.yaml"
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput([Problem((), f"cannot be read as UTF-8 text ({exc})", str(path))]) from None
    return parse_licensed_text(text, source=str(path), instrument=INSTRUMENTS[instrument].metadata)
