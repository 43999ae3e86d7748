"""TRIAL.md "Eligibility edges", each edge on both sides, in SI and in site units, on both built-in protocols."""

from __future__ import annotations

from typing import Any

import pytest

from tests.eligibility.records import PROTOCOL_IDS, criterion_json, protocol, result, set_lab, template, with_settings

OK, FAILS = "satisfied", "not_satisfied"

# (test, value, unit, reference range, criterion, expected)
LAB_EDGES: list[tuple[str, float, str, dict[str, float], str, str]] = [
    # Serum calcium: > 2.9 or < 2.0 mmol/L excludes, compared at 0.01 mmol/L after rounding half-up.
    ("CA", 2.90, "mmol/L", {}, "E5b", OK),  # upper edge passes
    ("CA", 2.91, "mmol/L", {}, "E5b", FAILS),
    ("CA", 2.904, "mmol/L", {}, "E5b", OK),  # rounds to 2.90
    ("CA", 2.905, "mmol/L", {}, "E5b", FAILS),  # rounds half-up to 2.91
    ("CA", 2.00, "mmol/L", {}, "E5b", OK),  # lower edge passes
    ("CA", 1.99, "mmol/L", {}, "E5b", FAILS),
    ("CA", 11.6, "mg/dL", {}, "E5b", OK),  # 2.894 → 2.89
    ("CA", 11.7, "mg/dL", {}, "E5b", FAILS),  # 2.919 → 2.92
    ("CA", 8.0, "mg/dL", {}, "E5b", OK),  # 1.996 → 2.00
    ("CA", 7.9, "mg/dL", {}, "E5b", FAILS),  # 1.971 → 1.97
    # Platelets < 75.0 × 10⁹/L excludes (10³/µL is the same number).
    ("PLAT", 75.0, "10^9/L", {}, "E5f", OK),
    ("PLAT", 74.9, "10^9/L", {}, "E5f", FAILS),
    ("PLAT", 75.0, "10^3/uL", {}, "E5f", OK),
    ("PLAT", 74.9, "10^3/uL", {}, "E5f", FAILS),
    # White blood cells < 3.0 × 10⁹/L excludes.
    ("WBC", 3.0, "10^9/L", {}, "E5g", OK),
    ("WBC", 2.9, "10^9/L", {}, "E5g", FAILS),
    ("WBC", 3.0, "10^3/uL", {}, "E5g", OK),
    ("WBC", 2.9, "10^3/uL", {}, "E5g", FAILS),
    # ALT / AST > 2 × ULN excludes; exactly 2 × ULN passes.
    ("ALT", 80, "U/L", {"lln": 9, "uln": 40}, "E5c", OK),
    ("ALT", 80.1, "U/L", {"lln": 9, "uln": 40}, "E5c", FAILS),
    ("AST", 70, "U/L", {"lln": 15, "uln": 35}, "E5c", OK),
    ("AST", 70.5, "U/L", {"lln": 15, "uln": 35}, "E5c", FAILS),
    # Creatinine > ULN excludes, in µmol/L and in mg/dL (molar mass 113.12 g/mol; range in the same unit).
    ("CREAT", 111, "umol/L", {"lln": 57, "uln": 111}, "E5d", OK),
    ("CREAT", 112, "umol/L", {"lln": 57, "uln": 111}, "E5d", FAILS),
    ("CREAT", 1.25, "mg/dL", {"lln": 0.6, "uln": 1.25}, "E5d", OK),
    ("CREAT", 1.26, "mg/dL", {"lln": 0.6, "uln": 1.25}, "E5d", FAILS),
    # Cystatin C > ULN excludes.
    ("CYSC", 1.03, "mg/L", {"lln": 0.59, "uln": 1.03}, "E5d", OK),
    ("CYSC", 1.04, "mg/L", {"lln": 0.59, "uln": 1.03}, "E5d", FAILS),
    # Haemoglobin > ULN + 20 g/L or < LLN excludes, in g/L and g/dL.
    ("HGB", 195, "g/L", {"lln": 130, "uln": 175}, "E5e", OK),  # ULN + 20 exactly
    ("HGB", 196, "g/L", {"lln": 130, "uln": 175}, "E5e", FAILS),
    ("HGB", 19.5, "g/dL", {"lln": 13.0, "uln": 17.5}, "E5e", OK),  # 195 g/L
    ("HGB", 19.6, "g/dL", {"lln": 13.0, "uln": 17.5}, "E5e", FAILS),  # 196 g/L
    ("HGB", 130, "g/L", {"lln": 130, "uln": 175}, "E5e", OK),  # at LLN: no anaemia
    ("HGB", 129, "g/L", {"lln": 130, "uln": 175}, "E5e", FAILS),
    ("HGB", 13.0, "g/dL", {"lln": 13.0, "uln": 17.5}, "E5e", OK),
    ("HGB", 12.9, "g/dL", {"lln": 13.0, "uln": 17.5}, "E5e", FAILS),
]


@pytest.mark.parametrize("registry_id", PROTOCOL_IDS)
@pytest.mark.parametrize(("test", "value", "unit", "range_", "criterion", "expected"), LAB_EDGES)
@pytest.mark.requirement("CLIN-ELIG-03")
def test_lab_edges(
    registry_id: str, test: str, value: float, unit: str, range_: dict[str, float], criterion: str, expected: str
) -> None:
    record = set_lab(template(registry_id), test, value, unit, **range_)
    assert result(record, criterion, protocol(registry_id)) == expected


@pytest.mark.requirement("CLIN-ELIG-06")
def test_calcium_11_7_mg_dl_keeps_the_unrounded_value_and_names_the_molar_mass() -> None:
    found = criterion_json(set_lab(template(), "CA", 11.7, "mg/dL"), "E5b")
    assert found["applies"] is True
    calcium = found["evidence"]["inputs"]["calcium"]
    assert calcium["value"] == 11.7
    assert calcium["unit"] == "mg/dL"
    assert calcium["converted"] == pytest.approx(2.91931, abs=1e-5)
    assert calcium["conversion"]["molar_mass_g_per_mol"] == 40.078
    assert "IUPAC" in calcium["conversion"]["molar_mass_source"]
    upper = found["evidence"]["comparisons"][0]
    assert (upper["compared"], upper["limit"], upper["precision"]) == (2.92, 2.9, "0.01")
    assert upper["unrounded"] == pytest.approx(2.91931, abs=1e-5)


def _assess(**values: Any) -> dict[str, Any]:
    record = template()
    record["assessments"] = values
    return record


@pytest.mark.parametrize(
    ("assessments", "expected"),
    [
        ({"pasi": 10.0, "bsa_percent": 10}, FAILS),  # neither is > 10
        ({"pasi": 10.1, "bsa_percent": 10}, OK),
        ({"pasi": 10.0, "bsa_percent": 10.1}, OK),
        ({"pasi": 10.04, "bsa_percent": 10}, FAILS),  # 10.0 at the stated 0.1
        ({"pasi": 10.05, "bsa_percent": 10}, OK),  # rounds half-up to 10.1
        ({"pasi": 10.0}, "unknown"),  # BSA could still qualify
        ({"pasi": 10.1}, OK),  # one part holds: known without BSA
    ],
)
@pytest.mark.requirement("CLIN-ELIG-01")
def test_pasi_10_with_bsa_10_does_not_qualify_and_10_1_does(assessments: dict[str, Any], expected: str) -> None:
    record = _assess(zung_sas_index=40, zung_sds_index=40, **assessments)
    assert result(record, "I1") == expected


@pytest.mark.parametrize(
    ("birth_date", "expected"),
    [
        ("2001-07-01", OK),  # 18th birthday on the consent date
        ("2001-07-02", FAILS),  # 17 until tomorrow
        ("1953-07-02", OK),  # 65, 66th birthday tomorrow
        ("1953-07-01", FAILS),  # 66 on the consent date
    ],
)
@pytest.mark.requirement("CLIN-ELIG-02")
def test_age_18_and_65_inclusive_at_consent_17_and_66_excluded(birth_date: str, expected: str) -> None:
    record = template()
    record["consent_date"] = "2019-07-01"
    record["birth_date"] = birth_date
    assert result(record, "I2") == expected


@pytest.mark.requirement("CLIN-ELIG-02")
def test_age_is_counted_at_consent_not_at_baseline() -> None:
    record = template()
    record.update(consent_date="2019-07-01", baseline_date="2019-07-23", birth_date="1953-07-10")
    assert result(record, "I2") == OK  # 65 at consent although 66 at baseline


@pytest.mark.parametrize(
    ("index", "scale", "expected"),
    [
        (50, "zung_sas_index", OK),
        (51, "zung_sas_index", FAILS),
        (53, "zung_sds_index", OK),
        (54, "zung_sds_index", FAILS),
    ],
)
@pytest.mark.requirement("CLIN-ELIG-04")
def test_sas_50_and_sds_53_pass(index: int, scale: str, expected: str) -> None:
    record = template()
    record["assessments"][scale] = index
    assert result(record, "E4a") == expected


SDS_RAW_43 = [4, 1, 4, 4, 1, 1, 4, 3, 1, 1, 4, 4, 1, 4, 1, 4, 4, 4, 1, 4]


@pytest.mark.requirement("CLIN-ELIG-04", "CLIN-ZUNG-02")
def test_sds_items_raw_43_pass_by_integer_part_and_fail_by_rounding_half_up() -> None:
    record = template()
    del record["assessments"]["zung_sds_index"]
    record["assessments"]["zung_sds_items"] = SDS_RAW_43
    assert result(record, "E4a") == OK
    assert result(record, "E4a", with_settings(zung_conversion="round_half_up")) == FAILS
    scored = criterion_json(record, "E4a")["evidence"]["inputs"]["sds"]["scored"]
    assert scored == {"raw": 43, "index": 53, "conversion": "integer_part", "band": "mild"}


@pytest.mark.requirement("CLIN-ELIG-04", "CLIN-ELIG-08")
def test_unanswered_zung_item_makes_the_criterion_unknown_not_a_pass() -> None:
    record = template()
    del record["assessments"]["zung_sds_index"]
    record["assessments"]["zung_sds_items"] = [None, *SDS_RAW_43[1:]]
    found = criterion_json(record, "E4a")
    assert found["result"] == "unknown"
    assert "item 1 unanswered" in found["reason"]


def test_pasi_items_are_scored_by_the_instrument() -> None:
    region = {"erythema": 2, "induration": 2, "desquamation": 2}
    record = template()
    record["assessments"] = {
        "pasi_items": {
            "head": {**region, "area": 2},
            "upper_limbs": {**region, "area": 2},
            "trunk": {**region, "area": 2},
            "lower_limbs": {**region, "area_percent": 5},
        },
        "bsa_percent": 5,
        "zung_sas_index": 40,
        "zung_sds_index": 40,
    }
    found = criterion_json(record, "I1")
    assert (
        found["evidence"]["inputs"]["pasi"]["scored"]["pasi"] == 9.6
    )  # 1.2 + 2.4 + 3.6 + 2.4 (5 % of the legs: area 1)
    assert found["result"] == FAILS


@pytest.mark.parametrize(
    ("therapy", "days", "expected"),
    [
        ("topical_corticosteroid", 14, OK),  # exactly 2 weeks meets the washout (default setting)
        ("topical_corticosteroid", 13, FAILS),
        ("topical_vitamin_d_analogue", 14, OK),
        ("systemic_therapy", 28, OK),
        ("systemic_therapy", 27, FAILS),
        ("phototherapy", 27, FAILS),
        ("puva", 28, OK),
        ("biologic", 84, OK),
        ("biologic", 83, FAILS),
    ],
)
@pytest.mark.requirement("CLIN-ELIG-05")
def test_washouts_in_whole_days_from_last_use_to_baseline(therapy: str, days: int, expected: str) -> None:
    import datetime as dt

    record = template()
    baseline = dt.date.fromisoformat(record["baseline_date"])
    record["last_use"][therapy] = (baseline - dt.timedelta(days=days)).isoformat()
    assert result(record, "E9") == expected


@pytest.mark.requirement("CLIN-ELIG-05", "CLIN-ELIG-10")
def test_washout_edge_setting_makes_exactly_14_days_fail() -> None:
    record = template()
    record["last_use"]["topical_retinoid"] = "2019-07-09"  # 14 days before 2019-07-23
    assert result(record, "E9") == OK
    strict = with_settings(washout_edge="exact_days_fail")
    found = criterion_json(record, "E9", strict)
    assert found["result"] == FAILS
    assert "washout_edge" in found["evidence"]["comparisons"][0]["note"]


@pytest.mark.requirement("CLIN-ELIG-10")
def test_transaminase_reading_setting() -> None:
    record = set_lab(template(), "ALT", 100, "U/L", lln=9, uln=40)  # 2.5 × ULN
    assert result(record, "E5c") == FAILS
    assert result(record, "E5c", with_settings(transaminase_limit_reading="at_least_3_uln_excludes")) == OK
    record = set_lab(record, "ALT", 120, "U/L", lln=9, uln=40)  # 3 × ULN
    assert result(record, "E5c", with_settings(transaminase_limit_reading="at_least_3_uln_excludes")) == FAILS


@pytest.mark.requirement("CLIN-ELIG-11")
def test_other_trial_within_a_month_of_consent() -> None:
    record = template()
    record["other_trial_end_date"] = "2019-06-01"  # 30 days before consent 2019-07-01
    assert result(record, "E8") == OK
    record["other_trial_end_date"] = "2019-06-02"  # 29 days
    assert result(record, "E8") == FAILS


@pytest.mark.requirement("CLIN-ELIG-10")
def test_albumin_corrected_calcium_when_the_protocol_says_so() -> None:
    corrected = with_settings(eligibility_calcium="albumin_corrected")
    record = set_lab(template(), "CA", 2.80, "mmol/L")
    assert result(record, "E5b") == OK
    assert result(record, "E5b", corrected) == "unknown"  # needs albumin
    record = set_lab(record, "ALB", 30, "g/L")  # 2.80 + 0.02 × (40 − 30) = 3.00
    assert result(record, "E5b", corrected) == FAILS
    record = set_lab(record, "ALB", 3.5, "g/dL")  # 35 g/L: 2.90 passes
    assert result(record, "E5b", corrected) == OK
