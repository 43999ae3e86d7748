"""Readers for what the renderer wrote: the HTML's tables, headings and images; PDF pages as images and text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium


@dataclass
class HtmlTable:
    caption: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    header_scopes: list[str | None] = field(default_factory=list)
    row_scopes: list[str | None] = field(default_factory=list)


class ReportPage(HTMLParser):
    """Collects the lang attribute, headings (level, text), tables and images (src, alt) of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.headings: list[tuple[int, str]] = []
        self.tables: list[HtmlTable] = []
        self.images: list[dict[str, str | None]] = []
        self.scripts = 0
        self._text: list[str] | None = None
        self._heading: int | None = None
        self._cells: list[str] | None = None
        self._in_head = False
        self._cell_open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "script":
            self.scripts += 1
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self._heading = int(tag[1])
            self._text = []
        elif tag == "table":
            self.tables.append(HtmlTable())
        elif tag == "caption":
            self._text = []
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._cells = []
        elif tag in {"th", "td"}:
            self._text = []
            if tag == "th":
                scopes = self.tables[-1].header_scopes if self._in_head else self.tables[-1].row_scopes
                scopes.append(attributes.get("scope"))
        elif tag == "img":
            self.images.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        text = " ".join("".join(self._text or []).split())
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"} and self._heading is not None:
            self.headings.append((self._heading, text))
            self._heading, self._text = None, None
        elif tag == "caption":
            self.tables[-1].caption = text
            self._text = None
        elif tag == "thead":
            self._in_head = False
        elif tag in {"th", "td"} and self._cells is not None:
            self._cells.append(text)
            self._text = None
        elif tag == "tr" and self._cells is not None:
            target = self.tables[-1]
            if self._in_head:
                target.header = self._cells
            else:
                target.rows.append(self._cells)
            self._cells = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def table(self, caption: str) -> HtmlTable:
        found = [t for t in self.tables if t.caption == caption]
        assert len(found) == 1, f"{caption!r} in {[t.caption for t in self.tables]}"
        return found[0]


def read_page(path: Path) -> ReportPage:
    page = ReportPage()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def pdf_pages(path: Path, scale: float = 0.5) -> list[np.ndarray]:
    """Every page of a PDF rendered to an RGB array."""
    document = pdfium.PdfDocument(str(path))
    try:
        return [np.asarray(document[i].render(scale=scale).to_pil().convert("RGB")) for i in range(len(document))]
    finally:
        document.close()


def pdf_text(path: Path) -> str:
    """The text of every page of a PDF, pages joined by form feeds."""
    document = pdfium.PdfDocument(str(path))
    try:
        texts = []
        for i in range(len(document)):
            textpage = document[i].get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
        return "\f".join(texts)
    finally:
        document.close()


def non_white_fraction(pixels: np.ndarray) -> float:
    """Share of pixels darker than near-white."""
    return float((pixels.min(axis=2) < 240).mean())
