"""Missing-data rules: observed cases, non-responder imputation, last observation carried forward."""

from __future__ import annotations

import polars as pl
import pytest

from dermtrial.analysis.missing import PROTOCOL_NAMES, check_rule
from tests.analysis._study import FIRST, PROTOCOL, analyse, frame, subject_row

# A: evaluable, PASI75 responder (20 → 5). B: no week-12 value, day 57 value 8.0 (60 %). C: no post-baseline value.
# D: baseline 0. E: evaluable non-responder (20 → 15, 25 %). F: value only after the window (day 100).
STUDY = frame(
    [
        ("A", FIRST, [(1, "20.0"), (57, "12.0"), (85, "5.0")]),
        ("B", FIRST, [(1, "20.0"), (29, "14.0"), (57, "8.0")]),
        ("C", FIRST, [(1, "20.0")]),
        ("D", FIRST, [(1, "0"), (85, "2.0")]),
        ("E", FIRST, [(1, "20.0"), (85, "15.0")]),
        ("F", FIRST, [(1, "20.0"), (100, "1.0")]),
    ]
)


def rates(rule: str) -> dict[str, tuple[int, int]]:
    return {key: (r["n"], r["of"]) for key, r in analyse(STUDY, rule).endpoints["responders"].items()}


def test_observed_cases_counts_only_evaluable_subjects() -> None:
    endpoints = analyse(STUDY, "observed").endpoints
    assert (endpoints["primary"]["n"], endpoints["primary"]["n_missing"], endpoints["n_imputed"]) == (2, 4, 0)
    assert rates("observed") == {"pasi50": (1, 2), "pasi75": (1, 2), "pasi90": (0, 2), "pasi100": (0, 2)}
    assert endpoints["primary"]["improvement_percent"]["mean"] == 50.0  # (75 + 25) / 2
    assert all(r["imputed"] is None for r in endpoints["primary"]["per_subject"])


def test_nri_counts_every_subject_without_an_improvement_as_non_responder_of_the_population() -> None:
    result = analyse(STUDY, "nri")
    endpoints = result.endpoints
    assert rates("nri") == {"pasi50": (1, 6), "pasi75": (1, 6), "pasi90": (0, 6), "pasi100": (0, 6)}
    assert endpoints["n_imputed"] == 4
    assert endpoints["missing_data_rule"] == "nri"
    for subject in "BCDF":
        row = subject_row(result, subject)
        assert row["imputed"] == "nri"
        assert row["responders"] == {"pasi50": False, "pasi75": False, "pasi90": False, "pasi100": False}
        assert row["improvement_percent"] is None
    # the improvement summary stays on observed cases
    assert (endpoints["primary"]["n"], endpoints["primary"]["improvement_percent"]["mean"]) == (2, 50.0)
    assert endpoints["responders"]["pasi50"]["ci95"][1] == pytest.approx(0.6412, abs=1e-4)  # 1 of 6


def test_locf_carries_the_last_post_baseline_value_before_the_window() -> None:
    result = analyse(STUDY, "locf")
    endpoints = result.endpoints
    b = subject_row(result, "B")
    assert (b["week12"], b["week12_study_day"], b["imputed"], b["improvement_percent"]) == (8.0, 57, "locf", 60.0)
    assert b["not_evaluable"] is None
    # F's only post-baseline value is after the window: never carried; C has none: the baseline is not carried
    for subject in "CF":
        row = subject_row(result, subject)
        assert (row["week12"], row["imputed"]) == (None, None)
        assert "none after the first treatment date to carry forward" in row["not_evaluable"]
    assert endpoints["n_imputed"] == 1
    assert (endpoints["primary"]["n"], endpoints["primary"]["n_missing"]) == (3, 3)
    assert rates("locf") == {"pasi50": (2, 3), "pasi75": (1, 3), "pasi90": (0, 3), "pasi100": (0, 3)}
    assert result.pasi.filter(pl.col("subject") == "B", pl.col("analysis_visit") == "week12")[
        "study_day"
    ].to_list() == [57]


def test_locf_does_not_replace_an_in_window_value() -> None:
    result = analyse(STUDY, "locf")
    a = subject_row(result, "A")
    assert (a["week12"], a["week12_study_day"], a["imputed"]) == (5.0, 85, None)


def test_locf_carries_for_a_baseline_0_subject_but_improvement_stays_not_computable() -> None:
    result = analyse(frame([("D", FIRST, [(1, "0"), (57, "2.0")])]), "locf")
    row = subject_row(result, "D")
    assert (row["week12"], row["imputed"], row["change"], row["improvement_percent"]) == (2.0, "locf", 2.0, None)


def test_each_rule_states_itself_in_words_and_in_the_methods() -> None:
    for rule in ("observed", "nri", "locf"):
        result = analyse(STUDY, rule)
        statement = result.endpoints["missing_data_statement"]
        assert statement in " ".join(result.methods)
    assert "non-responder" in analyse(STUDY, "nri").endpoints["missing_data_statement"]
    assert "never carried forward" in analyse(STUDY, "locf").endpoints["missing_data_statement"]


def test_rule_names_match_the_protocol_vocabulary() -> None:
    endpoint = next(e for e in PROTOCOL.endpoints if e.id == "pasi_improvement")
    assert PROTOCOL_NAMES["observed"] == endpoint.missing_data
    assert [PROTOCOL_NAMES[check_rule("locf")]] == endpoint.sensitivity
