"""Display rounding: each kind of number, with the rounding edges on both sides (half away from zero, on the decimal
value written in endpoints.json)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dermtrial.reports import display
from dermtrial.reports.html import primary_tables


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (12.25, "12.3"),  # exact binary tie: half away from zero (Python's format would give 12.2)
        (12.2499, "12.2"),  # just below the tie
        (45.25, "45.3"),
        (-8.25, "-8.3"),  # away from zero on the negative side
        (-8.2499, "-8.2"),
        (-0.04, "0.0"),  # never "-0.0"
        (100.0, "100.0"),
        (33.333333333333336, "33.3"),
        (0, "0.0"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
@pytest.mark.requirement("CLIN-ANA-03")
def test_percent_and_pasi_show_one_decimal_half_away_from_zero(value: float | None, shown: str) -> None:
    assert display.percent(value) == shown
    assert display.pasi(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.0625, "0.06250"),  # four significant digits, trailing zeros kept
        (0.0078125, "0.007813"),  # exact binary tie, half away from zero
        (0.015625, "0.01563"),
        (1.0, "1.000"),
        (0.99995, "1.000"),  # rounds up across a power of ten
        (0.0001, "0.0001000"),  # 0.0001 itself is not below 0.0001
        (0.00009999, "9.999e-05"),  # just below: scientific
        (3.0517578125e-05, "3.052e-05"),
        (0.0, "0"),
        (None, "—"),
    ],
)
@pytest.mark.requirement("CLIN-ANA-03")
def test_p_value_shows_four_significant_digits(value: float | None, shown: str) -> None:
    assert display.p_value(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.6666666666666666, "66.7 %"),
        (0.5, "50.0 %"),
        (1.0, "100.0 %"),
        (0.0, "0.0 %"),
        (0.00125, "0.1 %"),
        (None, "—"),
    ],
)
def test_proportion_shows_a_percentage_with_one_decimal(value: float | None, shown: str) -> None:
    assert display.proportion(value) == shown


def test_interval_shows_both_bounds_or_a_dash() -> None:
    assert display.interval([0.2227799, 0.9567281], "proportion") == "22.3 % to 95.7 %"
    assert display.interval([7.236111, 102.2083]) == "7.2 to 102.2"
    assert display.interval([None, None]) == "—"
    assert display.interval(None) == "—"


def test_integer_shows_counts_and_days() -> None:
    assert display.integer(85) == "85"
    assert display.integer(85.0) == "85"
    assert display.integer(None) == "—"


def test_a_boolean_is_not_a_number() -> None:
    with pytest.raises(TypeError):
        display.percent(True)


@given(st.integers(min_value=-720, max_value=720))
def test_a_value_in_tenths_shows_exactly(tenths: int) -> None:
    # PASI values and changes are exact tenths: the display never alters them
    sign = "-" if tenths < 0 else ""
    assert display.pasi(tenths / 10) == f"{sign}{abs(tenths) // 10}.{abs(tenths) % 10}"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_one_decimal_is_within_half_a_tenth_and_ends_in_one_digit(value: float) -> None:
    shown = display.percent(value)
    assert abs(float(shown) - value) <= 0.05 + 1e-9 * max(1.0, abs(value))
    assert len(shown.split(".")[1]) == 1


@given(st.floats(min_value=1e-12, max_value=1.0, allow_nan=False))
def test_a_p_value_keeps_four_significant_digits(value: float) -> None:
    shown = display.p_value(value)
    mantissa = shown.split("e")[0].lstrip("0.").replace(".", "")
    assert len(mantissa) == 4
    assert abs(float(shown) - value) <= 0.0005 * value + 1e-15


def test_subjects_are_listed_in_number_order_past_99_and_999() -> None:
    numbers = ["GDTCM-E100", "GDTCM-E9", "SIM02-E1", "GDTCM-E10", "GDTCM-E1000", "GDTCM-E99", "GDTCM-E01"]
    assert sorted(numbers, key=display.subject_order) == [
        "GDTCM-E01", "GDTCM-E9", "GDTCM-E10", "GDTCM-E99", "GDTCM-E100", "GDTCM-E1000", "SIM02-E1",
    ]  # fmt: skip
    assert sorted(["S-2", "S-10", "S-1b", "S-1a"], key=display.subject_order) == ["S-1a", "S-1b", "S-2", "S-10"]


def test_the_primary_listing_is_in_subject_number_order() -> None:
    rows = [{"subject": f"GDTCM-E{n:02d}", "baseline": 12.0} for n in (100, 9, 10, 11, 99)]
    table, _ = primary_tables({"primary": {"per_subject": rows}})
    assert [row[0] for row in table.rows] == ["GDTCM-E09", "GDTCM-E10", "GDTCM-E11", "GDTCM-E99", "GDTCM-E100"]
