"""Chain of custody: expiry, time from preparation to infusion, two-person identity check."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dermtrial.conduct import check_custody
from dermtrial.conduct.custody import ProductUnit

TZ = ZoneInfo("Asia/Shanghai")
PREPARED = dt.datetime(2019, 8, 1, 8, 0, tzinfo=TZ)
UNIT = ProductUnit(
    unit_id="BAG-001",
    lot="L2019-07",
    donor_code="D17",
    release_certificate="RC-2019-031",
    cell_count=Decimal("1.3e8"),
    viability_percent=Decimal("92"),
    volume_ml=Decimal("100"),
    storage_temperature_c=Decimal("4"),
    prepared_at=PREPARED,
    expires_at=PREPARED + dt.timedelta(hours=8),
    identity_checked_by=("nurse.li", "dr.wang"),
)


def test_a_clean_unit_has_no_problem() -> None:
    assert check_custody(UNIT, PREPARED + dt.timedelta(hours=6)) == []  # 360 minutes: the edge is allowed


@pytest.mark.requirement("CLIN-CUSTODY-01")
def test_late_start_is_a_problem() -> None:
    problems = check_custody(UNIT, PREPARED + dt.timedelta(hours=6, minutes=1))
    assert any("361 minutes" in p for p in problems)


@pytest.mark.requirement("CLIN-CUSTODY-01")
def test_expired_unit_is_a_problem() -> None:
    problems = check_custody(
        replace(UNIT, expires_at=PREPARED + dt.timedelta(hours=1)), PREPARED + dt.timedelta(hours=2)
    )
    assert any("expired" in p for p in problems)


@pytest.mark.requirement("CLIN-CUSTODY-01")
def test_one_person_checking_twice_is_not_two_people() -> None:
    problems = check_custody(replace(UNIT, identity_checked_by=("nurse.li", "Nurse.Li ")), PREPARED)
    assert any("identity_checked_by" in p for p in problems)


def test_low_viability_and_missing_certificate() -> None:
    problems = check_custody(replace(UNIT, viability_percent=Decimal("69.9"), release_certificate=None), PREPARED)
    assert any("viability_percent" in p for p in problems)
    assert any("release_certificate" in p for p in problems)
