"""Subject numbers: screening numbers at consent, enrollment numbers at enrollment, in the protocol's format.

The format is a Python format string with ``site`` (the site code) and ``seq`` (the running number at that site,
from 1), e.g. ``{site}-S{seq:03d}`` → ``GZ01-S007``. Example:

| format               | site | seq | number     |
|----------------------|------|-----|------------|
| ``{site}-S{seq:03d}``| GZ01 | 1   | GZ01-S001  |
| ``{site}-S{seq:03d}``| GZ01 | 12  | GZ01-S012  |
| ``{site}-E{seq:02d}``| GZ01 | 3   | GZ01-E03   |
"""

from __future__ import annotations

from dermtrial.errors import InvalidInput, Problem


def format_subject_number(template: str, site: str, seq: int) -> str:
    """The number for the ``seq``-th subject of ``site``; InvalidInput naming the field when it cannot be made."""
    if seq < 1:
        raise InvalidInput([Problem(("seq",), f"{seq} is not allowed: a running number starts at 1", value=seq)])
    try:
        return template.format(site=site, seq=seq)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInput(
            [
                Problem(
                    ("settings", "subject_numbering"),
                    f'"{template}" is not allowed: a format with only {{site}} and {{seq}} is expected ({exc})',
                    value=template,
                )
            ]
        ) from exc
