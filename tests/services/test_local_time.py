"""Clinical local dates and times: accepted forms, partial dates only where allowed, the site's day kept."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dermtrial.services import InvalidInput
from dermtrial.services.local_time import check_local, local_date, local_now


@pytest.mark.parametrize(
    ("value", "partial", "ok"),
    [
        ("2026-03-04T07:30", False, True),
        ("2026-03-04T07:30:15", False, True),
        ("2026-03-04", False, True),
        ("2026-03", False, False),  # partial, not allowed here
        ("2026-03", True, True),  # partial allowed
        ("2026", True, True),
        ("2026-02-30", True, False),  # no such day
        ("2026-03-04T24:00", False, False),  # no hour 24
        ("2026-03-04T07:30Z", False, False),  # a zone does not belong in a local value
        ("2026-03-04T07:30+08:00", False, False),
        ("04/03/2026", True, False),
        ("2026-3-4", True, False),
    ],
)
@pytest.mark.requirement("CLIN-TIME-01")
def test_local_values(value: str, partial: bool, ok: bool) -> None:
    if ok:
        assert check_local(value, field="visit_local", partial=partial) == value
    else:
        with pytest.raises(InvalidInput, match=re.escape(f'visit_local: "{value}"')):
            check_local(value, field="visit_local", partial=partial)


@pytest.mark.requirement("CLIN-TIME-01")
def test_a_0730_guangzhou_infusion_stays_on_its_day() -> None:
    # 23:30 UTC on 3 March is 07:30 on 4 March in Guangzhou: the site's day is the 4th.
    instant = dt.datetime(2026, 3, 3, 23, 30, tzinfo=dt.UTC)
    assert local_now(instant, "Asia/Shanghai") == "2026-03-04T07:30:00"
    assert local_date(instant, "Asia/Shanghai") == dt.date(2026, 3, 4)
