"""Subject numbers in the protocol's format."""

from __future__ import annotations

import pytest

from dermtrial.conduct import format_subject_number, next_sequence
from dermtrial.errors import InvalidInput
from dermtrial.protocol.model import Protocol


def test_formats_of_the_protocol(protocol: Protocol) -> None:
    numbering = protocol.settings.subject_numbering
    assert format_subject_number(numbering.screening, "GZ01", 7) == "GZ01-S007"
    assert format_subject_number(numbering.enrollment, "GZ01", 3) == "GZ01-E03"


def test_next_sequence_counts_only_this_site() -> None:
    existing = ["GZ01-S001", "GZ01-S002", "SH02-S001"]
    assert next_sequence(existing, "{site}-S{seq:03d}", "GZ01") == 3
    assert next_sequence(existing, "{site}-S{seq:03d}", "SH02") == 2
    assert next_sequence([], "{site}-S{seq:03d}", "GZ01") == 1


def test_bad_format_names_the_setting() -> None:
    with pytest.raises(InvalidInput) as caught:
        format_subject_number("{site}-{number}", "GZ01", 1)
    assert caught.value.problems[0].path == ("settings", "subject_numbering")
