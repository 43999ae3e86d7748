"""The next screening or enrollment number of a site, found with a few indexed queries (docs/conduct.md).

Numbers are unique in the study, run from 1 at each site in the protocol's format
(:func:`dermtrial.conduct.format_subject_number`) and are never reused.

How the next one is found, without reading every number of the study:

1. **Count** ``n``, the subjects of the site that already hold a number of this kind (every screened subject holds a
   screening number; an enrolled one also holds an enrollment number). Voided subjects are counted: they keep their
   number, and the study's unique constraint still holds it.
2. **Probe** the number for running number ``n + 1`` with an existence query on the exact number within the study
   (the unique constraints ``(study_id, screening_number)`` and ``(study_id, subject_number)`` index it). While that
   number is already held by someone, try ``n + 2``, ``n + 3``, … and give the first free one.

Why counting is right: subjects are never deleted and a number is never changed or cleared once given, and numbers
are only given here, one at a time from 1 at each site. So a site with ``n`` numbers holds exactly 1 … ``n``, and
``n + 1`` is the next one; normally the probe answers at once.

Why the probe: a number in the sequence may already be held, e.g. by a subject loaded from elsewhere (at this site
or another one). Such a number is skipped, never given twice and never taken from its holder: the subject gets the
next free one and the site's sequence continues after it (numbers skipped below it stay unused). When the format has
no ``{site}`` the numbers form one sequence for the whole study, so the count is taken over the study instead.

Two subjects numbered at the same moment at one site: on SQLite the single writer runs them one after the other;
on PostgreSQL both may be offered the same number, and the unique constraint refuses the second transaction (a
``Conflict`` from the unit of work, nothing stored), so a number is never given twice.

Example (format ``{site}-S{seq:03d}``):

| already held in the study         | site | count | probed            | given      |
|-----------------------------------|------|-------|-------------------|------------|
| (none)                            | GZ01 | 0     | GZ01-S001         | GZ01-S001  |
| GZ01-S001, GZ01-S002              | GZ01 | 2     | GZ01-S003         | GZ01-S003  |
| GZ01-S001, GZ01-S002              | SH02 | 0     | SH02-S001         | SH02-S001  |
| GZ01-S002 (loaded at GZ01)        | GZ01 | 1     | S002, S003        | GZ01-S003  |
"""

from __future__ import annotations

from string import Formatter
from typing import Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from dermtrial.conduct import format_subject_number
from dermtrial.errors import InvalidInput, Problem
from dermtrial.store.models import Site, Subject

NumberKind = Literal["screening", "enrollment"]
"""Which number: ``screening`` (``subject.screening_number``) or ``enrollment`` (``subject.subject_number``)."""


def next_subject_number(session: Session, site: Site, template: str, kind: NumberKind) -> str:
    """The next free ``kind`` number at ``site`` in the format ``template`` (see the module docstring)."""
    column = _number_column(kind)
    scope: ColumnElement[bool] = (
        Subject.site_id == site.id if _uses_site(template) else Subject.study_id == site.study_id
    )
    held = session.scalar(select(func.count()).select_from(Subject).where(scope, column.is_not(None))) or 0
    seq = held + 1
    probed: set[str] = set()
    while True:
        number = format_subject_number(template, site.code, seq)
        if number in probed:  # the format ignores {seq}: every running number gives the same, held number
            raise InvalidInput(
                [
                    Problem(
                        ("settings", "subject_numbering", kind),
                        f'"{template}" is not allowed: the format must make a different number for each {{seq}}',
                        value=template,
                    )
                ]
            )
        probed.add(number)
        taken = session.scalar(select(Subject.id).where(Subject.study_id == site.study_id, column == number).limit(1))
        if taken is None:
            return number
        seq += 1


def _number_column(kind: NumberKind) -> InstrumentedAttribute[str] | InstrumentedAttribute[str | None]:
    if kind == "screening":
        return Subject.screening_number
    if kind == "enrollment":
        return Subject.subject_number
    raise ValueError(f'number kind "{kind}" is not allowed: screening or enrollment')


def _uses_site(template: str) -> bool:
    """Whether the format puts the site code in the number (so each site has its own sequence)."""
    try:
        return any(
            field is not None and field.split(".")[0].split("[")[0] == "site"
            for _, field, _, _ in Formatter().parse(template)
        )
    except ValueError:
        return True  # a malformed format; format_subject_number names the setting when it is used
