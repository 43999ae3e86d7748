"""A subject's casebook as a PDF: every form with its values, derived results, signatures and audit history.

The casebook comes from :func:`dermtrial.services.casebook.casebook`; this module lays it out as HTML (Jinja2,
autoescape on) and prints it with WeasyPrint (A4, page numbers, protocol id and subject number in the header). The
PDF is written beside its final name and moved into place, so a failure leaves no half-written file.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from dermtrial.reports.pdf import write_pdf
from dermtrial.services.casebook import Casebook


def _utc(moment: dt.datetime | None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:  # stored UTC without a zone (SQLite)
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


_ZWSP = "\u200b"
_BREAK_AFTER = frozenset(",;:/=&_-.}]")
_LONGEST_RUN = 24


def breakable(text: object) -> str:
    """``text`` with zero-width spaces inside long tokens (hashes, JSON), so that a narrow table cell can wrap them.

    WeasyPrint lays out ``overflow-wrap: anywhere`` in table cells very slowly (minutes for a casebook), so the
    break opportunities are put into the text instead: after punctuation, and every 24 characters of a longer run.
    """
    words = []
    for word in str(text).split(" "):
        if len(word) <= _LONGEST_RUN:
            words.append(word)
            continue
        out: list[str] = []
        run = 0
        for char in word:
            out.append(char)
            run += 1
            if char in _BREAK_AFTER or run >= _LONGEST_RUN:
                out.append(_ZWSP)
                run = 0
        words.append("".join(out))
    return " ".join(words)


CLIP = 600
"""Longest audited value of a record other than a form printed in full; a longer one (a whole eligibility record)
is cut, and the casebook says how to export it whole. A form's history is printed whole."""


def clipped(text: object, subject: str, entity: str, clip: bool = True) -> str:
    """``text`` cut to :data:`CLIP` characters, naming its length and the command that exports it whole (a form's
    own history, ``clip`` False, is never cut)."""
    value = str(text)
    if not clip or len(value) <= CLIP:
        return value
    table, _, key = entity.partition(" ")
    command = f"dermtrial audit export --subject {subject}" + (f" --entity {table}:{key}" if key else "")
    return f"{value[:CLIP]} … [{len(value):,} characters in all; the whole value: {command}]"


def render_casebook_html(book: Casebook, *, software_version: str) -> str:
    """The casebook page (one HTML document, CSS inline)."""
    environment = Environment(
        loader=PackageLoader("dermtrial.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["utc"] = _utc
    environment.filters["breakable"] = breakable
    environment.filters["clipped"] = clipped
    css = (Path(__file__).parent / "templates" / "casebook.css").read_text(encoding="utf-8")
    return environment.get_template("casebook.html.j2").render(
        book=book, css=Markup(css), software_version=software_version
    )


def write_casebook_pdf(book: Casebook, path: Path, *, software_version: str) -> Path:
    """Write the casebook PDF to ``path`` (its folder must exist) and return the path."""
    html = render_casebook_html(book, software_version=software_version)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as tmp:
        staging = Path(tmp.name)
    try:
        write_pdf(html, staging, path.parent)
        staging.replace(path)
    finally:
        staging.unlink(missing_ok=True)
    return path
