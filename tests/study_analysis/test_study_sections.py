"""Layout rules of the database report's sections that need no study (pure)."""

from __future__ import annotations

from dermtrial.reports.study_sections import LISTING_LIMIT, listing_table


def test_a_long_listing_prints_its_first_rows_and_says_how_many_there_are() -> None:
    rows = [(f"S{i:03d}", i) for i in range(LISTING_LIMIT + 1)]
    table = listing_table("Subjects", ("Subject", "n"), rows)
    assert len(table.rows) == LISTING_LIMIT
    assert table.note == f"The first {LISTING_LIMIT} of {LISTING_LIMIT + 1} rows are shown."
    exact = listing_table("Subjects", ("Subject", "n"), rows[:LISTING_LIMIT])
    assert (len(exact.rows), exact.note) == (LISTING_LIMIT, None)  # exactly the limit: all shown, no note
