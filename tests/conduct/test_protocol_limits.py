"""The dose tolerance, caps and custody limits come from the protocol file: a variant file changes the outcome with
no code change, and a limit the file leaves out takes dermtrial's default, reported as such."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dermtrial.conduct import check_custody, check_dose_tolerance, compute_dose, rules_for
from dermtrial.conduct.custody import ProductUnit
from dermtrial.errors import InvalidInput
from dermtrial.protocol.builtin import builtin_text
from dermtrial.protocol.loader import load_text
from dermtrial.protocol.model import Dose, Protocol

PREPARED = dt.datetime(2019, 8, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
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
COMPUTED = Decimal(125_000_000)


def _variant(*edits: tuple[str, str]) -> Protocol:
    text = builtin_text("NCT03392311")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return load_text(text, "variant.yaml")


def _dose(protocol: Protocol) -> Dose:
    dose = protocol.intervention("admsc").dose
    assert dose is not None
    return dose


@pytest.mark.parametrize("registry_id", ["NCT03392311", "NCT04275024"])
def test_builtin_files_state_every_limit(registry_id: str) -> None:
    rules = rules_for(load_text(builtin_text(registry_id), "builtin"))
    assert (
        rules.dose_tolerance_percent,
        rules.weight_cap_kg,
        rules.dose_cap,
        rules.infusion_start_within_minutes,
        rules.viability_min_percent,
        rules.identity_check_people,
    ) == (10, None, None, 360, 70, 2)
    evidence = rules.evidence()
    assert evidence["dose_tolerance_percent"] == {
        "value": "10",
        "source": "protocol interventions.admsc.dose.tolerance_percent",
    }
    assert evidence["infusion_start_within_minutes"]["source"] == (
        "protocol interventions.admsc.custody.max_minutes_preparation_to_start"
    )
    assert all(e["source"] != "default" for e in evidence.values())


@pytest.mark.parametrize(
    ("given", "at_10", "at_5"),
    [
        (131_250_000, True, True),  # +5.0 %: the edge of 5 % is inside
        (131_250_001, True, False),  # just above 5 %
        (118_750_000, True, True),  # −5.0 %
        (118_749_999, True, False),
        (137_500_000, True, False),  # +10.0 %
        (137_500_001, False, False),
    ],
)
def test_a_tighter_tolerance_in_the_file_changes_the_verdict(given: int, at_10: bool, at_5: bool) -> None:
    shipped = rules_for(_variant())
    tighter = rules_for(_variant(("tolerance_percent: 10", "tolerance_percent: 5")))
    assert check_dose_tolerance(COMPUTED, Decimal(given), shipped.dose_tolerance_percent).within is at_10
    assert check_dose_tolerance(COMPUTED, Decimal(given), tighter.dose_tolerance_percent).within is at_5


@pytest.mark.parametrize(
    ("minutes", "late_at_360", "late_at_240"),
    [(240, False, False), (241, False, True), (360, False, True), (361, True, True)],
)
def test_a_shorter_time_limit_in_the_file_changes_the_custody_check(
    minutes: int, late_at_360: bool, late_at_240: bool
) -> None:
    start = PREPARED + dt.timedelta(minutes=minutes)
    shipped = check_custody(UNIT, start, rules_for(_variant()))
    shorter_rules = rules_for(
        _variant(("max_minutes_preparation_to_start: 360", "max_minutes_preparation_to_start: 240"))
    )
    shorter = check_custody(UNIT, start, shorter_rules)
    assert any("minutes after preparation" in p for p in shipped) is late_at_360
    assert any("minutes after preparation" in p for p in shorter) is late_at_240
    if late_at_240:
        assert any("custody.max_minutes_preparation_to_start" in p for p in shorter)


def test_viability_and_identity_limits_come_from_the_file() -> None:
    rules = rules_for(
        _variant(
            ("min_viability_percent: 70", "min_viability_percent: 80"),
            ("identity_check_persons: 2", "identity_check_persons: 3"),
        )
    )
    assert (
        check_custody(
            replace(UNIT, viability_percent=Decimal("80"), identity_checked_by=("a", "b", "c")), PREPARED, rules
        )
        == []
    )
    problems = check_custody(replace(UNIT, viability_percent=Decimal("79.9")), PREPARED, rules)
    assert any("viability_percent: 79.9" in p and "at least 80" in p for p in problems)
    assert any("identity_checked_by: 2 different people" in p and "at least 3" in p for p in problems)


def test_caps_in_the_file_apply() -> None:
    protocol = _variant(("max_weight_kg: null", "max_weight_kg: 100"), ("max_dose: null", "max_dose: 190000000"))
    rules = rules_for(protocol)
    assert compute_dose(_dose(protocol), Decimal("90"), rules).capped is None  # 180,000,000: under both caps
    assert (
        compute_dose(_dose(protocol), Decimal("100"), rules).amount,
        compute_dose(_dose(protocol), Decimal("100"), rules).capped,
    ) == (
        190_000_000,
        "dose",
    )
    weight_only = rules_for(_variant(("max_weight_kg: null", "max_weight_kg: 100")))
    assert compute_dose(_dose(protocol), Decimal("100"), weight_only).capped is None  # at the cap: not above it
    capped = compute_dose(_dose(protocol), Decimal("100.5"), weight_only)
    assert (capped.amount, capped.capped, capped.weight_kg) == (200_000_000, "weight", Decimal("100"))


def test_limits_left_out_take_the_default_and_say_so() -> None:
    protocol = _variant(
        ("      tolerance_percent: 10  # ASSUMED: not in the registry record\n", ""),
        (
            "    custody:  # ASSUMED: not in the registry record\n"
            "      max_minutes_preparation_to_start: 360\n"
            "      min_viability_percent: 70\n"
            "      identity_check_persons: 2\n",
            "",
        ),
        ("  - {path: interventions.admsc.dose.tolerance_percent,", "  - {path: interventions.admsc.dose,"),
        ("  - {path: interventions.admsc.custody,", "  - {path: interventions.admsc,"),
    )
    rules = rules_for(protocol)
    assert (rules.dose_tolerance_percent, rules.infusion_start_within_minutes) == (10, 360)
    assert rules.source("dose_tolerance_percent") == "default"
    assert rules.evidence()["viability_min_percent"] == {"value": "70", "source": "default"}
    problems = check_custody(UNIT, PREPARED + dt.timedelta(minutes=361), rules)
    assert any("360 allowed (default)" in p for p in problems)


def test_caps_are_only_for_a_weight_based_dose() -> None:
    with pytest.raises(ValueError, match="basis: body_weight"):
        Dose(amount=5.5, unit="g", max_dose=Decimal("6"))


def test_a_cap_must_be_positive() -> None:
    with pytest.raises(InvalidInput):
        _variant(("max_weight_kg: null", "max_weight_kg: 0"))
