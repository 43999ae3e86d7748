"""Partial AE dates: kept as entered, imputed for treatment emergence and study day (rules in safety/dates.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from dermtrial.safety.dates import PartialDate, impute_start, impute_stop, is_treatment_emergent

FIRST_DOSE = dt.date(2019, 7, 23)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2019-08-05", dt.date(2019, 8, 5)),  # complete: as entered
        ("2019-07", FIRST_DOSE),  # month of the first dose: the first dose date
        ("2019-06", dt.date(2019, 6, 1)),  # another month: its first day
        ("2019", FIRST_DOSE),  # year of the first dose
        ("2018", dt.date(2018, 1, 1)),
    ],
)
@pytest.mark.requirement("CLIN-DATES-01")
def test_impute_start(start: str, expected: dt.date) -> None:
    assert impute_start(PartialDate.parse(start), FIRST_DOSE) == expected


@pytest.mark.requirement("CLIN-DATES-01")
def test_imputed_start_is_never_after_a_complete_stop() -> None:
    assert impute_start(PartialDate.parse("2019-07"), FIRST_DOSE, PartialDate.parse("2019-07-20")) == dt.date(
        2019, 7, 20
    )


def test_imputed_start_is_never_after_the_last_day_a_partial_stop_allows() -> None:
    """An event that stopped in March 2019 started by 31 March, so it cannot start at a first dose in July."""
    stop = PartialDate.parse("2019-03")
    assert impute_start(PartialDate.parse("2019"), FIRST_DOSE, stop) == dt.date(2019, 3, 31)
    assert not is_treatment_emergent(PartialDate.parse("2019"), FIRST_DOSE, stop)
    # a partial stop in the first dose's month still allows the first-dose date
    assert impute_start(PartialDate.parse("2019"), FIRST_DOSE, PartialDate.parse("2019-07")) == FIRST_DOSE


def test_impute_stop() -> None:
    assert impute_stop(PartialDate.parse("2019-02")) == dt.date(2019, 2, 28)
    assert impute_stop(PartialDate.parse("2020-02")) == dt.date(2020, 2, 29)
    assert impute_stop(PartialDate.parse("2019")) == dt.date(2019, 12, 31)


@pytest.mark.requirement("CLIN-DATES-01")
def test_treatment_emergence() -> None:
    assert is_treatment_emergent(PartialDate.parse("2019-07"), FIRST_DOSE)
    assert not is_treatment_emergent(PartialDate.parse("2019-06"), FIRST_DOSE)
    assert not is_treatment_emergent(PartialDate.parse("2019-08"), None)


@pytest.mark.parametrize("text", ["2019-13", "2019-02-30", "19-07", "2019/07", ""])
def test_bad_dates_name_what_is_allowed(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        PartialDate.parse(text)
    assert PartialDate.parse("2019-08").isoformat() == "2019-08"
