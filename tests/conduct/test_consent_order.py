"""No study procedure dated before consent."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dermtrial.conduct import check_after_consent

TZ = ZoneInfo("Asia/Shanghai")
CONSENT = dt.datetime(2019, 7, 10, 9, 30, tzinfo=TZ)


@pytest.mark.requirement("CLIN-CONSENT-01")
def test_procedure_before_consent_is_refused() -> None:
    assert check_after_consent(CONSENT, dt.datetime(2019, 7, 10, 9, 29, tzinfo=TZ)) is not None
    assert check_after_consent(CONSENT, dt.date(2019, 7, 9)) is not None


def test_same_time_or_later_and_same_day_date_are_allowed() -> None:
    assert check_after_consent(CONSENT, dt.datetime(2019, 7, 10, 9, 30, tzinfo=TZ)) is None
    assert check_after_consent(CONSENT, dt.date(2019, 7, 10)) is None  # time unknown: the day counts


@pytest.mark.requirement("CLIN-CONSENT-01")
def test_no_consent_refuses_everything() -> None:
    assert check_after_consent(None, dt.date(2019, 7, 10)) is not None
