"""``write_report``: the one entry point both report paths call (``dermtrial analyze`` and ``dermtrial report``).

It writes, into one folder, the figures (``figures/*.png``), the self-contained HTML (``report.html``) and the PDF
(``report.pdf``) made from the same HTML. Files are first written beside their final names and moved into place
only when all of them are ready, so a failure leaves no half-written report behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dermtrial.reports.figures import write_figures
from dermtrial.reports.html import render_html
from dermtrial.reports.model import ReportInput
from dermtrial.reports.pdf import write_pdf


@dataclass(frozen=True)
class ReportFiles:
    """The paths ``write_report`` wrote: the HTML, the PDF and every figure (in report order)."""

    html: Path
    pdf: Path
    figures: tuple[Path, ...]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory, so that no reader sees half a file.

    Used for ``endpoints.json`` by both report paths (``dermtrial analyze`` and the study report service).
    """
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        umask = os.umask(0)
        os.umask(umask)
        Path(temporary).chmod(0o666 & ~umask)  # as an ordinary new file (mkstemp makes it owner-only)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_report(out_dir: Path, report: ReportInput) -> ReportFiles:
    """Write ``out_dir/figures/*.png``, ``out_dir/report.html`` and ``out_dir/report.pdf`` for ``report``.

    ``out_dir`` is created when missing; other files in it (``endpoints.json``) are left alone. Figures of an
    earlier report in ``out_dir/figures`` are replaced.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".report-", dir=out_dir))
    try:
        figures = write_figures(staging, report, report.week12_window)
        html = render_html(staging, report, figures, report.week12_window)
        (staging / "report.html").write_text(html, encoding="utf-8")
        write_pdf(html, staging / "report.pdf", staging)
        final_figures = out_dir / "figures"
        if final_figures.is_dir():
            shutil.rmtree(final_figures)
        elif final_figures.exists():
            final_figures.unlink()
        (staging / "figures").replace(final_figures)
        (staging / "report.html").replace(out_dir / "report.html")
        (staging / "report.pdf").replace(out_dir / "report.pdf")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ReportFiles(
        html=out_dir / "report.html",
        pdf=out_dir / "report.pdf",
        figures=tuple(out_dir / f.path for f in figures),
    )
