"""``dermtrial casebook SUBJECT --out FILE.pdf``: one subject's forms, audit history and signatures as a PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dermtrial import __version__
from dermtrial.cli._common import bad_usage, print_json, stderr, stdout
from dermtrial.cli._store import AS_OPTION, DB_OPTION, database, run, signed_in
from dermtrial.services.casebook import casebook as casebook_service


def casebook(
    subject: Annotated[str, typer.Argument(help="The subject number (or screening number).")],
    out: Annotated[Path, typer.Option("--out", help="The PDF file to write (its folder must exist).")],
    db_url: str | None = DB_OPTION,
    username: str | None = AS_OPTION,
    as_json: Annotated[bool, typer.Option("--json", help="Machine output (JSON) on stdout.")] = False,
) -> None:
    """Write one subject's casebook (every form with its audit history and signatures) as a PDF."""
    if out.is_dir():
        bad_usage(f"--out {out}: is a folder; give the PDF file to write, e.g. {out / (subject + '.pdf')}")
    if not out.parent.is_dir():
        bad_usage(f"--out {out}: the folder {out.parent} does not exist")
    with database(db_url) as db, signed_in(db, username) as actor:
        book = run(lambda: casebook_service(db, actor, subject))
    from dermtrial.reports.casebook import write_casebook_pdf  # WeasyPrint is heavy: import only to print

    with stderr.status(f"printing the casebook of {subject}"):
        write_casebook_pdf(book, out, software_version=__version__)
    summary = {
        "file": str(out),
        "subject": book.subject_number or book.screening_number,
        "site": book.site_code,
        "forms": len(book.forms),
        "audit_seq": book.audit_seq,
    }
    if as_json:
        print_json(summary)
        return
    stdout.print(f"Casebook of subject {summary['subject']} ({len(book.forms)} forms) written to {out}", markup=False)
