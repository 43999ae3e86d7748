"""Exclusion 9 (washout) when one therapy class of an input is not recorded.

The washout days of an input are counted from the latest use of any class it lists, so a class left out makes the days
unknown, but never more than the days since the latest use that is recorded. Three-valued logic: a recorded use
recent enough to exclude decides (the exclusion applies), while a recorded use long enough ago never passes the
washout as long as a class is missing. The per-candidate check and the vectorised screen agree on every row.
"""

from __future__ import annotations

from typing import Any

import pytest

from dermtrial.eligibility import screen_frame
from dermtrial.protocol import Protocol
from tests.eligibility.records import PROTOCOL_IDS, criterion_json, protocol, template, with_settings
from tests.eligibility.test_agreement import as_table

OK, FAILS, UNKNOWN = "satisfied", "not_satisfied", "unknown"
BASELINE = "2019-07-23"

# (classes recorded: class → last use, classes left out, E9 result); the comment on each row says why
CASES: list[tuple[dict[str, str | None], list[str], str]] = [
    # a retinoid 3 days before baseline excludes although the vitamin D analogue is not recorded
    ({"topical_retinoid": "2019-07-20"}, ["topical_vitamin_d_analogue"], FAILS),
    # 13 days before: one day short of the 14-day topical washout, still decided
    ({"topical_retinoid": "2019-07-10"}, ["topical_vitamin_d_analogue"], FAILS),
    # exactly 14 days before meets the washout for that class, but the missing class may be more recent: unknown
    ({"topical_retinoid": "2019-07-09"}, ["topical_vitamin_d_analogue"], UNKNOWN),
    # a long-ago use never passes while a class is missing
    ({"topical_retinoid": "2018-01-01"}, ["topical_vitamin_d_analogue"], UNKNOWN),
    # every recorded class never used: the missing one decides, so unknown
    ({"topical_retinoid": None}, ["topical_vitamin_d_analogue"], UNKNOWN),
    # a biologic 83 days before baseline excludes while a systemic class is missing (another input of E9)
    ({"biologic": "2019-05-01"}, ["puva"], FAILS),
    # PUVA 27 days before baseline excludes while phototherapy is missing (same input, systemic washout 28 days)
    ({"puva": "2019-06-26"}, ["phototherapy"], FAILS),
    # PUVA exactly 28 days before, phototherapy missing: unknown
    ({"puva": "2019-06-25"}, ["phototherapy"], UNKNOWN),
]


def _record(registry_id: str, given: dict[str, str | None], left_out: list[str]) -> dict[str, Any]:
    record = template(registry_id)
    assert record["baseline_date"] == BASELINE
    record["last_use"].update(given)
    for code in left_out:
        del record["last_use"][code]
    return record


@pytest.mark.parametrize("registry_id", PROTOCOL_IDS)
@pytest.mark.parametrize(("given", "left_out", "expected"), CASES)
@pytest.mark.requirement("CLIN-ELIG-05")
def test_a_recorded_recent_use_excludes_even_when_another_class_is_not_recorded(
    registry_id: str, given: dict[str, str | None], left_out: list[str], expected: str
) -> None:
    on = protocol(registry_id)
    record = _record(registry_id, given, left_out)
    found = criterion_json(record, "E9", on)
    assert found["result"] == expected
    assert found["applies"] == {FAILS: True, UNKNOWN: None}[expected]
    screened = screen_frame(on, as_table(on, [record], as_text=True))
    assert screened.row(0, named=True)["E9"] == expected


def test_the_reason_and_evidence_say_the_days_are_an_upper_bound() -> None:
    record = _record("NCT03392311", {"topical_retinoid": "2019-07-20"}, ["topical_vitamin_d_analogue"])
    found = criterion_json(record, "E9")
    topical = found["evidence"]["inputs"]["days_since_topical"]
    assert topical["last_use"]["topical_vitamin_d_analogue"] == "not recorded"  # not null, which would mean never
    assert topical["days_at_most"] == 3
    deciding = [c for c in found["evidence"]["comparisons"] if c["result"] is True]
    assert deciding == [
        {
            "input": "days_since_topical",
            "op": "<",
            "limit": 14,
            "unit": "day",
            "precision": None,
            "unrounded": 3,
            "compared": 3,
            "result": True,
            "at_most": True,
        }
    ]
    assert found["reason"] == "days_since_topical at most 3 < 14"


def test_washout_edge_setting_applies_to_the_bound() -> None:
    """With exact_days_fail, a recorded use exactly 14 days before already fails the washout (< 14 becomes <= 14)."""
    strict: Protocol = with_settings(washout_edge="exact_days_fail")
    record = _record("NCT03392311", {"topical_retinoid": "2019-07-09"}, ["topical_vitamin_d_analogue"])
    assert criterion_json(record, "E9", strict)["result"] == FAILS
    screened = screen_frame(strict, as_table(strict, [record], as_text=False))
    assert screened.row(0, named=True)["E9"] == FAILS


def test_without_a_baseline_date_a_recorded_use_decides_nothing() -> None:
    record = _record("NCT03392311", {"topical_retinoid": "2019-07-20"}, ["topical_vitamin_d_analogue"])
    del record["baseline_date"]
    assert criterion_json(record, "E9")["result"] == UNKNOWN
