"""Hand-computed small studies: improvement, responders, change from baseline, not-evaluable subjects."""

from __future__ import annotations

import math

import polars as pl
import pytest

from dermtrial.analysis import analyse_pasi
from dermtrial.analysis.endpoints import NEVER_TREATED, NO_BASELINE
from dermtrial.instruments.pasi_response import BASELINE_ZERO
from tests.analysis._study import FIRST, PROTOCOL, analyse, frame, pair_study, subject_row

T_975_7 = 2.3646242510102993  # t quantile 0.975 with 7 degrees of freedom (statistical tables: 2.365)


def test_eight_subjects_hand_worked_mean_sd_ci_median_and_rates() -> None:
    # baseline 20.0 for all; week 12 gives improvements 50, 75, 90, 100, 20, 40, 70, 80 %
    week12 = ["10.0", "5.0", "2.0", "0", "16.0", "12.0", "6.0", "4.0"]
    result = analyse(pair_study([("20.0", w) for w in week12]))
    primary = result.endpoints["primary"]
    assert (primary["n"], primary["n_missing"]) == (8, 0)
    stats = primary["improvement_percent"]
    # mean 525 / 8; sum of squares 39525 − 8 × 65.625² = 5071.875; variance 5071.875 / 7
    sd = math.sqrt(5071.875 / 7)
    half = T_975_7 * sd / math.sqrt(8)
    assert stats["mean"] == 65.625
    assert stats["sd"] == pytest.approx(26.9175, abs=1e-4)
    assert stats["sd"] == pytest.approx(sd, rel=1e-9)
    assert stats["ci95"] == [pytest.approx(65.625 - half, rel=1e-9), pytest.approx(65.625 + half, rel=1e-9)]
    assert stats["ci95"][0] == pytest.approx(43.12, abs=0.01)
    assert (stats["median"], stats["min"], stats["max"]) == (72.5, 20.0, 100.0)  # (70 + 75) / 2
    rates = {key: (r["n"], r["of"], r["proportion"]) for key, r in result.endpoints["responders"].items()}
    assert rates == {"pasi50": (6, 8, 0.75), "pasi75": (4, 8, 0.5), "pasi90": (2, 8, 0.25), "pasi100": (1, 8, 0.125)}
    change = result.endpoints["change_from_baseline"]
    # changes −10, −15, −18, −20, −4, −8, −14, −16 PASI: all negative, distinct, none 0 → exact, p = 2 / 2⁸
    assert change["n"] == 8
    assert change["mean"] == -13.125
    assert (change["wilcoxon_method"], change["wilcoxon_p"], change["wilcoxon_statistic"]) == ("exact", 0.0078125, 0)
    assert change["exploratory"] is True
    d = [-10, -15, -18, -20, -4, -8, -14, -16]
    walsh = sorted((d[i] + d[j]) / 2 for i in range(8) for j in range(i, 8))
    assert len(walsh) == 36
    assert change["hodges_lehmann"] == (walsh[17] + walsh[18]) / 2 == -13.5  # (−14 + −13) / 2


def test_all_responders_proportion_one_with_exact_lower_bound() -> None:
    result = analyse(pair_study([("20.0", "0")] * 8))
    for rate in result.endpoints["responders"].values():
        assert (rate["n"], rate["of"], rate["proportion"]) == (8, 8, 1.0)
        assert rate["ci95"] == [pytest.approx(0.025 ** (1 / 8), rel=1e-9), 1.0]  # 0.6306


def test_no_responders_upper_bound_is_one_minus_0_025_to_the_one_eighth() -> None:
    result = analyse(pair_study([("20.0", "15.0")] * 8))  # 25 % each
    for rate in result.endpoints["responders"].values():
        assert (rate["n"], rate["of"], rate["proportion"]) == (0, 8, 0.0)
        assert rate["ci95"] == [0.0, pytest.approx(1 - 0.025 ** (1 / 8), rel=1e-9)]  # 0.3694


def test_exactly_75_percent_is_a_pasi75_responder_11_2_to_2_8() -> None:
    result = analyse(pair_study([("11.2", "2.8")]))
    row = subject_row(result, "S01")
    assert row["improvement_percent"] == 75.0
    assert row["responders"] == {"pasi50": True, "pasi75": True, "pasi90": False, "pasi100": False}


def test_negative_improvement_when_pasi_worsens() -> None:
    result = analyse(pair_study([("10.0", "10.5"), ("20.0", "30.0")]))
    assert subject_row(result, "S01")["improvement_percent"] == -5.0
    assert subject_row(result, "S02")["improvement_percent"] == -50.0
    assert subject_row(result, "S02")["change"] == 10.0
    assert result.endpoints["primary"]["improvement_percent"]["mean"] == -27.5
    assert all(r["n"] == 0 for r in result.endpoints["responders"].values())


def test_baseline_zero_is_not_evaluable_for_improvement_but_has_a_change() -> None:
    result = analyse(pair_study([("0", "1.0"), ("10.0", "5.0")]))
    row = subject_row(result, "S01")
    assert row["improvement_percent"] is None
    assert row["not_evaluable"] == BASELINE_ZERO
    assert row["responders"] == {"pasi50": None, "pasi75": None, "pasi90": None, "pasi100": None}
    assert row["change"] == 1.0
    assert (result.endpoints["primary"]["n"], result.endpoints["primary"]["n_missing"]) == (1, 1)
    assert result.endpoints["responders"]["pasi50"]["of"] == 1
    assert result.endpoints["change_from_baseline"]["n"] == 2


def test_one_subject_sd_ci_and_wilcoxon_are_null_with_a_reason() -> None:
    result = analyse(pair_study([("12.3", "3.0")]))
    stats = result.endpoints["primary"]["improvement_percent"]
    assert stats["mean"] == stats["median"] == stats["min"] == stats["max"] == pytest.approx(930 / 12.3)
    assert stats["sd"] is None
    assert stats["ci95"] is None
    assert "n = 1" in stats["not_computable"]
    change = result.endpoints["change_from_baseline"]
    assert change["wilcoxon_p"] is None
    assert change["wilcoxon_method"] is None
    assert "n = 1" in change["not_computable"]
    assert change["hodges_lehmann"] == change["mean"] == -9.3
    assert result.endpoints["responders"]["pasi75"]["ci95"] == [pytest.approx(0.025), 1.0]  # 1 of 1: [0.025, 1]


def test_no_subject_evaluable_every_statistic_null() -> None:
    result = analyse(frame([("S01", FIRST, [(1, "20.0"), (120, "3.0")])]))
    primary = result.endpoints["primary"]
    assert (primary["n"], primary["n_missing"]) == (0, 1)
    assert all(primary["improvement_percent"][k] is None for k in ("mean", "sd", "ci95", "median", "min", "max"))
    for rate in result.endpoints["responders"].values():
        assert (rate["n"], rate["of"], rate["proportion"], rate["ci95"]) == (0, 0, None, None)
        assert rate["not_computable"]
    change = result.endpoints["change_from_baseline"]
    assert (change["n"], change["mean"], change["hodges_lehmann"], change["wilcoxon_p"]) == (0, None, None, None)


def test_every_change_zero_gives_no_wilcoxon_p_with_the_reason() -> None:
    result = analyse(pair_study([("10.0", "10.0"), ("12.0", "12.0")]))
    change = result.endpoints["change_from_baseline"]
    assert change["wilcoxon_p"] is None
    assert "every difference is 0" in change["not_computable"]
    assert change["hodges_lehmann"] == 0.0


def test_ties_or_zero_changes_use_the_normal_approximation_and_say_so() -> None:
    tied = analyse(pair_study([("20.0", "10.0"), ("30.0", "20.0"), ("15.0", "2.0")]))  # |−10| twice
    assert tied.endpoints["change_from_baseline"]["wilcoxon_method"].startswith("normal approximation")
    zero = analyse(pair_study([("20.0", "20.0"), ("30.0", "20.0"), ("15.0", "2.0")]))
    assert zero.endpoints["change_from_baseline"]["wilcoxon_method"].startswith("normal approximation")
    assert zero.endpoints["change_from_baseline"]["wilcoxon_n_nonzero"] == 2


def test_not_evaluable_reasons_never_treated_no_baseline_no_week12() -> None:
    result = analyse(
        frame(
            [
                ("A", None, [(1, "20.0"), (85, "2.0")]),  # no first treatment date
                ("B", FIRST, [(2, "20.0"), (85, "2.0")]),  # first PASI the day after day 1: no baseline
                ("C", FIRST, [(1, "20.0"), (90, "2.0")]),  # week-12 PASI outside 82–88
                ("D", FIRST, [(1, "20.0"), (85, "2.0")]),
            ]
        )
    )
    assert subject_row(result, "A")["not_evaluable"] == NEVER_TREATED
    assert subject_row(result, "B")["not_evaluable"] == NO_BASELINE
    assert subject_row(result, "C")["not_evaluable"] == "no week12 PASI in the window (study days 82–88)"
    assert subject_row(result, "C")["week12"] is None
    assert subject_row(result, "C")["week12_study_day"] is None
    assert subject_row(result, "D")["not_evaluable"] is None
    primary = result.endpoints["primary"]
    assert (primary["n"], primary["n_missing"], result.endpoints["population"]["n"]) == (1, 3, 4)
    assert [r["subject"] for r in primary["per_subject"]] == ["A", "B", "C", "D"]


def test_window_and_target_are_read_from_the_protocol() -> None:
    window = analyse(pair_study([("20.0", "2.0")])).endpoints["window"]
    assert window == {
        "endpoint": "pasi_improvement",
        "visit": "week12",
        "target_offset_days": 84,
        "target_study_day": 85,
        "before": 3,
        "after": 3,
        "first_study_day": 82,
        "last_study_day": 88,
        "tie_break": "earlier",
    }


def test_protocol_id_and_rule_are_recorded() -> None:
    endpoints = analyse(pair_study([("20.0", "2.0")])).endpoints
    assert endpoints["protocol"] == "NCT03392311"
    assert endpoints["missing_data_rule"] == "observed"
    assert endpoints["n_imputed"] == 0
    assert len(endpoints["data_sha256"]) == 64


def test_unknown_missing_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="observed, nri, locf"):
        analyse(pair_study([("20.0", "2.0")]), "bocf")


def test_a_population_is_the_subjects_passed_and_its_label_is_recorded() -> None:
    study = pair_study([("20.0", "5.0"), ("10.0", "9.0"), ("30.0", "3.0")])
    fas = study.filter(pl.col("subject") != "S02")
    endpoints = analyse_pasi(fas, PROTOCOL, population="full analysis set").endpoints
    assert endpoints["population"] == {"label": "full analysis set", "n": 2}
    assert [r["subject"] for r in endpoints["primary"]["per_subject"]] == ["S01", "S03"]
    assert endpoints["data_sha256"] != analyse_pasi(study, PROTOCOL).endpoints["data_sha256"]
    assert analyse_pasi(study, PROTOCOL).endpoints["population"] == {"label": "every subject in the input", "n": 3}
