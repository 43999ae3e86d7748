"""Random screening records (hypothesis), drawn around the protocol's edges so that both sides of each limit occur.

Every field may be left out (unknown) or null where null means never; lab results come in any unit the protocol
allows, with or without a reference range; numbers have a few decimals, as clinical values do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from dermtrial.eligibility.inputs import fact_inputs
from dermtrial.protocol import Protocol

# (test, unit) → (lowest, highest, decimals) of the value; (lln, uln) pairs in the same unit.
LAB_VALUES: dict[tuple[str, str], tuple[float, float, int]] = {
    ("CA", "mmol/L"): (1.9, 3.0, 3),
    ("CA", "mg/dL"): (7.5, 12.2, 2),
    ("ALB", "g/L"): (25, 50, 0),
    ("ALB", "g/dL"): (2.5, 5.0, 1),
    ("ALT", "U/L"): (5, 130, 1),
    ("AST", "U/L"): (5, 130, 1),
    ("CREAT", "umol/L"): (40, 130, 0),
    ("CREAT", "mg/dL"): (0.5, 1.5, 2),
    ("CYSC", "mg/L"): (0.5, 1.3, 2),
    ("HGB", "g/L"): (110, 210, 0),
    ("HGB", "g/dL"): (11.0, 21.0, 1),
    ("PLAT", "10^9/L"): (70, 80, 1),
    ("PLAT", "10^3/uL"): (70, 80, 1),
    ("WBC", "10^9/L"): (2.5, 3.5, 1),
    ("WBC", "10^3/uL"): (2.5, 3.5, 1),
}
LAB_RANGES: dict[tuple[str, str], list[tuple[float, float]]] = {
    ("ALT", "U/L"): [(9, 40), (9, 50), (0, 35)],
    ("AST", "U/L"): [(15, 40), (15, 35)],
    ("CREAT", "umol/L"): [(57, 111), (44, 97)],
    ("CREAT", "mg/dL"): [(0.6, 1.25), (0.5, 1.1)],
    ("CYSC", "mg/L"): [(0.59, 1.03), (0.5, 0.9)],
    ("HGB", "g/L"): [(130, 175), (115, 150)],
    ("HGB", "g/dL"): [(13.0, 17.5), (11.5, 15.0)],
}
DEFAULT_RANGES = [(2.1, 2.6), (35, 52), (125, 350), (3.5, 9.5)]


def _number(low: float, high: float, decimals: int) -> st.SearchStrategy[float | int]:
    scale = 10**decimals
    whole = st.integers(round(low * scale), round(high * scale))
    return whole.map(lambda k: k // scale if decimals == 0 else round(k / scale, decimals))


@st.composite
def _lab(draw: st.DrawFn, code: str, units: list[str]) -> dict[str, Any]:
    unit = draw(st.sampled_from([u for u in units if (code, u) in LAB_VALUES]))
    low, high, decimals = LAB_VALUES[(code, unit)]
    lab: dict[str, Any] = {"test": code, "value": draw(_number(low, high, decimals)), "unit": unit}
    ranges = LAB_RANGES.get((code, unit), DEFAULT_RANGES)
    lln, uln = draw(st.sampled_from(ranges))
    shape = draw(st.sampled_from(["both", "uln only", "lln only", "none"]))
    if shape in {"both", "lln only"}:
        lab["lln"] = lln
    if shape in {"both", "uln only"}:
        lab["uln"] = uln
    return lab


def _maybe(draw: st.DrawFn, record: dict[str, Any], key: str, value: st.SearchStrategy[Any]) -> None:
    """Leave the key out (unknown) one time in six."""
    if draw(st.integers(0, 5)):
        record[key] = draw(value)


@st.composite
def records(draw: st.DrawFn, protocol: Protocol) -> dict[str, Any]:
    """One screening record (JSON data) for this protocol."""
    consent = dt.date(2019, 1, 1) + dt.timedelta(days=draw(st.integers(0, 400)))
    baseline = consent + dt.timedelta(days=draw(st.integers(0, 30)))
    age = draw(st.sampled_from([17, 18, 19, 40, 64, 65, 66]))
    birth = dt.date(consent.year - age, consent.month, min(consent.day, 28)) + dt.timedelta(
        days=draw(st.integers(-2, 2))
    )
    record: dict[str, Any] = {"candidate": draw(st.text("ABC123", min_size=1, max_size=6))}
    _maybe(draw, record, "consent_date", st.just(consent.isoformat()))
    _maybe(draw, record, "baseline_date", st.just(baseline.isoformat()))
    _maybe(draw, record, "birth_date", st.just(min(birth, consent).isoformat()))
    ended = st.integers(0, 60).map(lambda d: (consent - dt.timedelta(days=d)).isoformat())
    _maybe(draw, record, "other_trial_end_date", st.none() | ended)
    assessments: dict[str, Any] = {}
    _maybe(draw, assessments, "pasi", st.sampled_from([9.9, 10.0, 10.04, 10.05, 10.1, 15.2]) | _number(0, 72, 1))
    _maybe(draw, assessments, "bsa_percent", st.sampled_from([9.9, 10, 10.05, 10.1, 30]) | _number(0, 100, 1))
    _maybe(draw, assessments, "zung_sas_index", st.integers(45, 56))
    _maybe(draw, assessments, "zung_sds_index", st.integers(48, 58))
    record["assessments"] = assessments
    tests = {test.code: test for test in protocol.safety.lab_tests}
    codes = [spec.source.lab for spec in protocol.eligibility.inputs if spec.source.lab]
    if protocol.settings.eligibility_calcium == "albumin_corrected":
        codes.append("ALB")
    labs = []
    for code in dict.fromkeys(codes):
        if draw(st.integers(0, 5)):
            labs.append(draw(_lab(code, [tests[code].si_unit, *tests[code].site_units])))
    record["labs"] = labs
    therapy = next(c for c in protocol.codelists if c.id == "therapy_class")
    last_use: dict[str, Any] = {}
    used = st.integers(0, 100).map(lambda d: (baseline - dt.timedelta(days=d)).isoformat())
    for entry in therapy.entries:
        _maybe(draw, last_use, entry.code, st.none() | st.none() | used)
    _maybe(draw, record, "last_use", st.just(last_use))
    facts: dict[str, Any] = {}
    for name, (item_type, allowed) in fact_inputs(protocol).items():
        choices = [False, False, False, True] if item_type == "boolean" else list(allowed or ["x"])
        _maybe(draw, facts, name, st.sampled_from(choices))
    record["facts"] = facts
    judgements: dict[str, Any] = {}
    for criterion in [*protocol.eligibility.inclusion, *protocol.eligibility.exclusion]:
        if criterion.kind == "investigator_judgement":
            decision = st.sampled_from(["satisfied", "satisfied", "not_satisfied"])
            attestation = st.fixed_dictionaries(
                {
                    "investigator": st.just("Dr Chen Wei"),
                    "date": st.just(consent.isoformat()),
                    "decision": decision,
                    "reason": st.just("Checked."),
                }
            )
            _maybe(draw, judgements, criterion.id, attestation)
    record["judgements"] = judgements
    return record
