"""The generator alone (no database): reproducible, seed-dependent, every PASI exactly what its items score, every
screen failure the eligibility engine's verdict, and the cohort's study roles (one SAE, one heavy ointment week)."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dermtrial.eligibility import evaluate_candidate, read_record
from dermtrial.instruments import INSTRUMENTS, PasiItems, score_pasi
from dermtrial.protocol.builtin import load_builtin
from dermtrial.simulate import count_eligible, csv_rows, generate_cohort, write_csv
from dermtrial.simulate.instruments import pasi_items, zung_answers
from dermtrial.simulate.screening import FAILURE_CRITERIA

PROTOCOLS = ("NCT03392311", "NCT04275024")


def _csv(tmp_path: Path, name: str, seed: int, subjects: int = 40) -> bytes:
    path = tmp_path / name
    write_csv(path, generate_cohort(load_builtin("NCT03392311"), subjects=subjects, sites=2, seed=seed))
    return path.read_bytes()


def test_same_seed_gives_the_same_csv_bytes_and_the_same_course(tmp_path: Path) -> None:
    assert _csv(tmp_path, "a.csv", seed=5) == _csv(tmp_path, "b.csv", seed=5)
    protocol = load_builtin("NCT03392311")
    first = list(generate_cohort(protocol, subjects=25, seed=5))
    second = list(generate_cohort(protocol, subjects=25, seed=5))
    assert first == second  # dataclass equality: every visit, lab, infusion, tube and adverse event


def test_a_candidate_does_not_depend_on_how_many_are_drawn() -> None:
    protocol = load_builtin("NCT03392311")
    short = list(generate_cohort(protocol, subjects=3, seed=9))
    long = list(generate_cohort(protocol, subjects=30, seed=9))
    assert [s.record for s in short] == [s.record for s in long[:3]]


def test_different_seeds_give_different_subjects(tmp_path: Path) -> None:
    assert _csv(tmp_path, "a.csv", seed=5) != _csv(tmp_path, "b.csv", seed=6)


def test_the_csv_has_the_analyze_columns_one_row_per_pasi_and_empty_first_dose_when_untreated(tmp_path: Path) -> None:
    lines = _csv(tmp_path, "a.csv", seed=2).decode().splitlines()
    assert lines[0] == "subject,first_treatment_date,assessment_date,pasi"
    subjects = list(generate_cohort(load_builtin("NCT03392311"), subjects=40, sites=2, seed=2))
    assert len(lines) - 1 == sum(len(s.all_assessments()) for s in subjects)
    for subject in subjects:
        rows = list(csv_rows(subject))
        assert rows[0][2] == subject.screening_date.isoformat()  # the screening PASI is a row too
        if subject.eligible:
            assert {r[1] for r in rows} == {subject.infusions[0].started.date().isoformat()}
        else:
            assert {r[1] for r in rows} == {""}
            assert len(rows) == 1


@pytest.mark.parametrize("registry_id", PROTOCOLS)
def test_every_pasi_in_the_csv_is_what_its_item_set_scores(registry_id: str) -> None:
    for subject in generate_cohort(load_builtin(registry_id), subjects=60, seed=11):
        rows = list(csv_rows(subject))
        for row, assessment in zip(rows, subject.all_assessments(), strict=True):
            result = score_pasi(PasiItems.model_validate(assessment.pasi_items))
            assert result.flags == ()  # consistent regions: nothing for a query
            assert row[3] == f"{result.to_json()['pasi']:.1f}" == f"{assessment.pasi:.1f}"


@pytest.mark.parametrize("registry_id", PROTOCOLS)
def test_screen_failure_reasons_are_the_eligibility_engines_verdict(registry_id: str) -> None:
    protocol = load_builtin(registry_id)
    reasons = set()
    for subject in generate_cohort(protocol, subjects=150, seed=21):
        evaluation = evaluate_candidate(protocol, read_record(subject.record))
        failing = [c.criterion.id for c in evaluation.criteria if c.result == "not_satisfied"]
        assert evaluation.verdict == ("eligible" if subject.eligible else "ineligible"), subject.screening_number
        assert failing == ([] if subject.failure is None else [FAILURE_CRITERIA[subject.failure]])
        reasons.add(subject.failure)
    assert reasons == {None, *FAILURE_CRITERIA}  # every reason occurs in 150 candidates


def test_count_eligible_agrees_with_the_cohort() -> None:
    cohort = list(generate_cohort(load_builtin("NCT03392311"), subjects=50, seed=4))
    assert count_eligible(subjects=50, seed=4) == sum(s.eligible for s in cohort)


def test_one_sae_and_one_interval_above_100_g_a_week_among_the_first_eight_enrolled() -> None:
    cohort = [s for s in generate_cohort(load_builtin("NCT03392311"), subjects=60, seed=8) if s.eligible]
    assert len(cohort) >= 8
    serious = [e for s in cohort for e in s.adverse_events if e.seriousness]
    assert len(serious) == 1
    assert serious[0].aware is not None
    heavy = []
    for subject in cohort:
        for tube in subject.tubes:
            assert tube.returned is not None
            assert tube.returned_g is not None
            weeks = Decimal((tube.returned - tube.dispensed).days) / 7
            heavy += [tube] if (tube.dispensed_g - tube.returned_g) / weeks > 100 else []
    assert len(heavy) == 1


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 470), st.integers(1, 60), st.integers(0, 2**32))
def test_pasi_item_sets_hit_targets_up_to_47_exactly_and_are_consistent(target: int, bsa: int, seed: int) -> None:
    items = pasi_items(target, Decimal(bsa), random.Random(seed))
    result = score_pasi(PasiItems.model_validate(items))
    assert result.flags == ()
    assert result.tenths == target


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["sas", "sds"]), st.integers(20, 80), st.integers(0, 2**32))
def test_zung_answers_score_to_their_raw_target(scale: str, raw: int, seed: int) -> None:
    answers = zung_answers(scale, raw, random.Random(seed))
    assert INSTRUMENTS[f"zung-{scale}"].validate_and_score({"items": answers}).to_json()["raw"] == raw


def test_courses_follow_the_protocol_in_a_large_cohort() -> None:
    protocol = load_builtin("NCT03392311")
    windows = {v.id: (v.offset_days - v.window.before, v.offset_days + v.window.after) for v in protocol.visits}
    products = {i.id for i in protocol.interventions}
    outside = missed = 0
    for subject in generate_cohort(protocol, subjects=200, seed=31):
        dates = [a.date for a in subject.all_assessments()]
        assert dates == sorted(dates)
        if not subject.eligible:
            assert (subject.visits, subject.infusions, subject.adverse_events) == ([], [], [])
            continue
        assert subject.day1 is not None
        assert subject.consent_at.date() <= subject.screening_date < subject.day1
        assert subject.infusions[0].started.date() == subject.day1  # day 1 is the first treatment
        for infusion in subject.infusions:
            assert infusion.dose == Decimal(2_000_000) * infusion.weight_kg  # 2 x 10^6 cells/kg, weight of that visit
            assert infusion.prepared < infusion.started < infusion.ended
        for visit in subject.visits:
            if visit.date is None:
                missed += 1
                continue
            low, high = windows[visit.code]
            outside += not low <= (visit.date - subject.day1).days <= high
        for event in subject.adverse_events:
            assert set(event.relatedness) == products
            assert event.stop is None or event.stop >= event.start
        assert subject.study_end is not None
        assert subject.study_end[0] in {"completed", "withdrew-consent", "lost"}
    assert outside > 0  # some visits fall outside their window
    assert missed > 0  # and some are missed
