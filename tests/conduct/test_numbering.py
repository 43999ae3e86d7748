"""Subject numbers in the protocol's format."""

from __future__ import annotations

import pytest

from dermtrial.conduct import format_subject_number
from dermtrial.errors import InvalidInput
from dermtrial.protocol.model import Protocol


def test_formats_of_the_protocol(protocol: Protocol) -> None:
    numbering = protocol.settings.subject_numbering
    assert format_subject_number(numbering.screening, "GZ01", 7) == "GZ01-S007"
    assert format_subject_number(numbering.enrollment, "GZ01", 3) == "GZ01-E03"


@pytest.mark.parametrize(
    ("template", "site", "seq", "number"),
    [
        ("{site}-S{seq:03d}", "GZ01", 1, "GZ01-S001"),  # the first subject of a site
        ("{site}-S{seq:03d}", "SH02", 1, "SH02-S001"),  # another site starts its own sequence at 1
        ("{site}-S{seq:03d}", "GZ01", 999, "GZ01-S999"),  # the last number that fits the padding
        ("{site}-S{seq:03d}", "GZ01", 1000, "GZ01-S1000"),  # beyond the padding the number grows, never wraps
        ("S{seq:05d}", "GZ01", 50000, "S50000"),  # a study-wide format without the site
    ],
)
def test_number_for_a_running_number(template: str, site: str, seq: int, number: str) -> None:
    assert format_subject_number(template, site, seq) == number


def test_running_number_starts_at_1() -> None:
    with pytest.raises(InvalidInput) as caught:
        format_subject_number("{site}-S{seq:03d}", "GZ01", 0)
    assert caught.value.problems[0].path == ("seq",)
    assert "starts at 1" in caught.value.problems[0].message


def test_bad_format_names_the_setting() -> None:
    with pytest.raises(InvalidInput) as caught:
        format_subject_number("{site}-{number}", "GZ01", 1)
    assert caught.value.problems[0].path == ("settings", "subject_numbering")
