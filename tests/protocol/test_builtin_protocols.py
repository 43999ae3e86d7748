"""The protocols shipped with dermtrial validate and say what the registry says."""

from __future__ import annotations

import re

import pytest

from dermtrial.protocol.builtin import builtin_ids, builtin_text, load_builtin, resolve, validate_builtin
from dermtrial.protocol.checks import resolve_path
from dermtrial.protocol.loader import content_hash, load_text


def test_both_trials_are_built_in() -> None:
    assert builtin_ids() == ["NCT03392311", "NCT04275024"]


@pytest.mark.parametrize("registry_id", ["NCT03392311", "NCT04275024"])
@pytest.mark.requirement("CLIN-PROT-01")
def test_builtin_protocol_is_valid_and_complete(registry_id: str) -> None:
    report = validate_builtin(registry_id)
    assert report.invalid == []
    assert report.incomplete == []
    assert report.protocol is not None
    assert report.protocol.identity.registry_id == registry_id


@pytest.mark.requirement("CLIN-PROT-01")
def test_nct03392311_registered_facts() -> None:
    protocol = load_builtin("NCT03392311")
    assert protocol.identity.sponsor_code == "S2016-04-02"
    assert protocol.design.phases == ["PHASE1", "PHASE2"]  # verbatim from the design block
    assert protocol.identity.phase_label == "Early Phase 1"
    assert protocol.design.enrollment.count == 8
    assert protocol.design.enrollment.type == "ACTUAL"
    assert [arm.label for arm in protocol.arms] == ["AD-MSCs plus Calcipotriol ointment group"]
    cells = protocol.intervention("admsc")
    assert cells.route == "INTRAVENOUS"
    assert cells.dose is not None
    assert (cells.dose.amount, cells.dose.unit, cells.dose.basis) == (2e6, "cell/kg", "body_weight")
    assert cells.administered_at == ["day1", "week4", "week8"]
    ointment = protocol.intervention("calcipotriol")
    assert (ointment.route, ointment.frequency) == ("TOPICAL", "BID")
    assert ointment.duration is not None
    assert (ointment.duration.amount, ointment.duration.unit) == (12, "week")
    assert ointment.max_use is not None
    assert (ointment.max_use.amount, ointment.max_use.unit) == (100, "g/week")


@pytest.mark.requirement("CLIN-WIN-01")
def test_nct03392311_primary_endpoint_is_week12_plus_minus_3_days() -> None:
    protocol = load_builtin("NCT03392311")
    primary = protocol.primary_endpoint()
    assert primary is not None
    assert (primary.instrument, primary.derivation, primary.timepoint) == (
        "pasi",
        "percent_improvement",
        "week12",
    )
    assert primary.window is not None
    assert (primary.window.before, primary.window.after) == (3, 3)
    week12 = protocol.visit("week12")
    assert (week12.offset_days, week12.study_day) == (84, 85)  # window study days 82-88


@pytest.mark.requirement("CLIN-SCHED-01")
def test_nct03392311_schedule_matches_trial_md() -> None:
    protocol = load_builtin("NCT03392311")
    schedule = {v.id: (v.offset_days, v.window.before, v.window.after) for v in protocol.visits}
    assert schedule == {
        "screening": (-1, 27, 0),  # offsets -28 to -1
        "day1": (0, 0, 0),
        "week2": (14, 3, 3),
        "week4": (28, 3, 3),
        "week8": (56, 3, 3),
        "week12": (84, 3, 3),
        "week24": (168, 7, 7),
    }
    assert protocol.visit("screening").study_day == -1  # CDISC has no day 0


@pytest.mark.requirement("CLIN-ELIG-07")
def test_nct03392311_criteria_split_into_three_kinds() -> None:
    eligibility = load_builtin("NCT03392311").eligibility
    kinds = {c.id: c.kind for c in [*eligibility.inclusion, *eligibility.exclusion]}
    assert kinds["I1"] == "computed"
    assert kinds["I3"] == "recorded_fact"
    assert kinds["E5h"] == "investigator_judgement"
    assert kinds["E10"] == "investigator_judgement"
    assert {c.number for c in eligibility.inclusion} == {1, 2, 3}
    assert {c.number for c in eligibility.exclusion} == set(range(1, 11))


def test_sister_trial_adds_psori_cm01_and_the_change_and_pasi50_75_endpoints() -> None:
    protocol = load_builtin("NCT04275024")
    granule = protocol.intervention("psori_cm01")
    assert granule.dose is not None
    assert (granule.route, granule.frequency, granule.dose.amount, granule.dose.unit) == (
        "ORAL",
        "QD",
        5.5,
        "g",
    )
    derivations = {e.derivation for e in protocol.endpoints}
    assert {"percent_improvement", "change_from_baseline", "responder"} <= derivations
    thresholds = {t for e in protocol.endpoints for t in e.responder_thresholds}
    assert {50, 75} <= thresholds
    assert all(e.timepoint == "week12" for e in protocol.endpoints if e.type != "safety")


@pytest.mark.parametrize("registry_id", ["NCT03392311", "NCT04275024"])
@pytest.mark.requirement("CLIN-PROT-01")
def test_every_assumed_value_is_listed_under_assumptions(registry_id: str) -> None:
    protocol = load_builtin(registry_id)
    assert protocol.assumptions, "the registry leaves choices open; they must be listed"
    assert all(resolve_path(protocol, a.path) for a in protocol.assumptions)
    text = builtin_text(registry_id)
    assert "ASSUMED" in text
    assert re.search(r"administered_at: .*# ASSUMED", text)


def test_content_hash_ignores_layout_but_not_content() -> None:
    text = builtin_text("NCT03392311")
    original = content_hash(load_text(text, "a"))
    reformatted = "# a comment\n" + text.replace("format_version: 1\n", "format_version: 1  # same\n")
    assert content_hash(load_text(reformatted, "b")) == original
    changed = text.replace("count: 8, type: ACTUAL", "count: 9, type: ACTUAL")
    assert content_hash(load_text(changed, "c")) != original


def test_resolve_accepts_a_registry_id_in_any_case_or_a_file(tmp_path: object) -> None:
    assert resolve("nct03392311")[1] == "builtin:NCT03392311.yaml"
    with pytest.raises(FileNotFoundError):
        resolve("NCT99999999")
