"""The report (or the casebook) as a PDF: WeasyPrint lays out the same HTML with its print rules (A4, page numbers,
a running header with the protocol id)."""

from __future__ import annotations

import logging
from pathlib import Path


def write_pdf(html: str, path: Path, base: Path) -> None:
    """Render ``html`` to ``path`` with WeasyPrint; ``base`` resolves relative links (the figures are embedded)."""
    import weasyprint  # a heavy import: only when a PDF is made

    # WeasyPrint logs every CSS property it ignores at WARNING; the report's screen-only rules are deliberate.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=html, base_url=str(base))
    document.write_pdf(path)
