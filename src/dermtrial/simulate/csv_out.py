"""The long CSV that ``dermtrial analyze`` reads: ``subject,first_treatment_date,assessment_date,pasi``.

One row per PASI assessment (screening included), subjects in screening order and each subject's rows in date
order; ISO dates; ``first_treatment_date`` empty for a subject never treated; PASI with one decimal, exactly as its
item set scores. The file is written beside its target and renamed into place, so a failure leaves no partial file.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from dermtrial.simulate.model import SimSubject

HEADER = ("subject", "first_treatment_date", "assessment_date", "pasi")


def csv_rows(subject: SimSubject) -> Iterator[tuple[str, str, str, str]]:
    """The subject's rows (PASI formatted with one decimal)."""
    first = subject.infusions[0].started.date().isoformat() if subject.infusions else ""
    for assessment in subject.all_assessments():
        yield subject.screening_number, first, assessment.date.isoformat(), f"{assessment.pasi:.1f}"


def write_csv(path: Path, subjects: Iterable[SimSubject]) -> int:
    """Write every subject's rows to ``path`` atomically; returns the number of rows. Yields nothing partial: the
    rows go to a temporary file in the same directory that replaces ``path`` only when complete."""
    rows = 0
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(HEADER)
            for subject in subjects:
                for row in csv_rows(subject):
                    writer.writerow(row)
                    rows += 1
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return rows
