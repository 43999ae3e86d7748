"""One candidate's screening: demographics, weight, baseline PASI/BSA/Zung scores, labs and the screening record.

A candidate fails screening with the configured probability, for one reason drawn from ``screen_failure.reasons``;
the value that decides it is placed on the failing side of the protocol's limit and every other value on the
passing side, so the eligibility engine's verdict (which the driver stores) is the reason drawn. The record is the
protocol's eligible template (:func:`dermtrial.eligibility.template.template_record`) with this person's dates,
scores, labs and last therapy filled in.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from dermtrial.conduct import format_subject_number
from dermtrial.eligibility.template import template_record
from dermtrial.instruments.pasi import tenths_to_decimal
from dermtrial.protocol.model import Protocol
from dermtrial.simulate import instruments as items
from dermtrial.simulate._draw import clipped_normal, decimal, log_normal, uniform, weighted, whole
from dermtrial.simulate.model import Assessment, LabDraw, SimSubject, SiteSpec
from dermtrial.simulate.params import Params

#: Decimal places each lab test is reported with (ASSUMED: as a hospital laboratory prints them).
LAB_PLACES = {"CA": 2, "ALB": 0, "ALT": 0, "AST": 0, "CREAT": 0, "CYSC": 2, "HGB": 0, "PLAT": 0, "WBC": 1}
#: The failure reason → the criterion of NCT03392311/NCT04275024 that it fails.
FAILURE_CRITERIA = {
    "pasi_bsa_low": "I1",
    "sds_high": "E4a",
    "calcium_out": "E5b",
    "alt_high": "E5c",
    "age_out": "I2",
}

_templates: dict[str, dict[str, Any]] = {}


def _template(protocol: Protocol) -> dict[str, Any]:
    key = f"{protocol.identity.registry_id}/{protocol.version}"
    if key not in _templates:
        _templates[key] = template_record(protocol)
    return _templates[key]


def instruments_at(protocol: Protocol, visit_code: str) -> set[str]:
    """The instruments (``pasi``, ``bsa``, ``zung-sds`` …) whose forms the protocol assigns to a visit."""
    by_code = {form.code: form.instrument for form in protocol.forms if form.instrument}
    return {by_code[code] for code in protocol.visit(visit_code).forms if code in by_code}


def lab_value(params: Params, test: str, rng: random.Random) -> Decimal:
    """A normal result of ``test`` drawn inside the reference range."""
    spec = params.get(f"labs.{test}")
    mean, sd = params.pair(f"labs.{test}.normal")
    value = clipped_normal(rng, mean, sd, float(spec["lln"]), float(spec["uln"]))
    return decimal(value, LAB_PLACES.get(test, 2))


def assessment(
    protocol: Protocol,
    visit: str,
    date: dt.date,
    pasi_target: float,
    bsa: float,
    rng: random.Random,
    sas_raw: int | None = None,
    sds_raw: int | None = None,
) -> Assessment:
    """The instruments of one visit, consistent with a target PASI and BSA (sPGA, DLQI and itch follow the PASI)."""
    wanted = instruments_at(protocol, visit)
    bsa_value = decimal(min(100.0, max(0.0, bsa)), 1) if pasi_target > 0 else Decimal("0.0")
    pasi_items = items.pasi_items(round(pasi_target * 10), max(bsa_value, Decimal("0.5")), rng)
    pasi = tenths_to_decimal(items.pasi_tenths_of(pasi_items))
    burden = float(pasi) / 72
    return Assessment(
        visit=visit,
        date=date,
        pasi_items=pasi_items,
        pasi=pasi,
        bsa=bsa_value if "bsa" in wanted else None,
        spga=items.spga_for(pasi) if "spga" in wanted else None,
        dlqi=items.dlqi_answers(round(30 * burden * rng.uniform(0.7, 1.5)), rng) if "dlqi" in wanted else None,
        itch=max(0, min(10, round(10 * burden * 2 * rng.uniform(0.5, 1.3)))) if "itch" in wanted else None,
        sas=items.zung_answers("sas", sas_raw, rng) if sas_raw is not None and "zung-sas" in wanted else None,
        sds=items.zung_answers("sds", sds_raw, rng) if sds_raw is not None and "zung-sds" in wanted else None,
    )


def _birth_date(consent: dt.date, age: int, rng: random.Random) -> dt.date:
    """A birth date giving exactly ``age`` whole years on the consent date."""
    day = min(consent.day, 28)
    latest = dt.date(consent.year - age, consent.month, day)
    return latest - dt.timedelta(days=rng.randint(0, 360))


def draw_candidate(
    protocol: Protocol,
    params: Params,
    rng: random.Random,
    *,
    index: int,
    site: SiteSpec,
    seq: int,
    start: dt.date,
    pi_name: str,
) -> SimSubject:
    """Consent, demographics, screening assessments and labs of the ``seq``-th candidate of ``site``."""
    failure = None
    if rng.random() < params.number("screen_failure.rate"):
        failure = weighted(rng, params.weights("screen_failure.reasons"))
    per_week = params.number("accrual.candidates_per_site_per_week")
    consent_day = start + dt.timedelta(days=int((seq - 1) * 7 / per_week) + rng.randint(0, 2))
    consent_at = dt.datetime.combine(consent_day, dt.time(rng.randint(8, 11), rng.choice((0, 15, 30, 45))))
    screening_date = consent_day
    evaluated_on = screening_date + dt.timedelta(days=rng.randint(2, 4))
    day1 = screening_date + dt.timedelta(days=whole(rng, params.pair("accrual.screening_to_day1_days")))

    female = rng.random() < params.number("demographics.female_fraction")
    sex = "F" if female else "M"
    age = whole(rng, params.pair("demographics.too_old_years" if failure == "age_out" else "demographics.age_years"))
    birth = _birth_date(consent_day, age, rng)
    key = "female" if female else "male"
    wmean, wsd = params.pair(f"demographics.weight_kg.{key}")
    weight = decimal(clipped_normal(rng, wmean, wsd, *params.pair("demographics.weight_kg.range")), 1)
    hmean, hsd = params.pair(f"demographics.height_cm.{key}")
    height = decimal(clipped_normal(rng, hmean, hsd, *params.pair("demographics.height_cm.range")), 1)

    if failure == "pasi_bsa_low":
        pasi_target, bsa = uniform(rng, params.pair("baseline.low_pasi")), uniform(rng, params.pair("baseline.low_bsa"))
    else:
        low, high = params.pair("baseline.pasi.range")
        median, spread = params.number("baseline.pasi.median"), params.number("baseline.pasi.spread")
        pasi_target = min(high, max(low, log_normal(rng, median, spread)))
        ratio_mean, ratio_sd = params.pair("baseline.bsa_per_pasi")
        bsa = pasi_target * max(0.3, rng.gauss(ratio_mean, ratio_sd))
    sas_raw = whole(rng, params.pair("baseline.sas_raw"))
    sds_raw = whole(rng, params.pair("baseline.sds_raw_high" if failure == "sds_high" else "baseline.sds_raw"))
    screening = assessment(
        protocol, _screening_visit(protocol), screening_date, pasi_target, bsa, rng, sas_raw=sas_raw, sds_raw=sds_raw
    )

    template = _template(protocol)
    labs: list[LabDraw] = []
    record_labs: list[dict[str, Any]] = []
    tests = [lab["test"] for lab in template["labs"]]
    for test in [*tests, *(["ALB"] if "ALB" not in tests else [])]:
        value = lab_value(params, test, rng)
        if test == "CA" and failure == "calcium_out":
            low, high = params.get("labs.calcium_out")[rng.randint(0, 1)]
            value = decimal(rng.uniform(float(low), float(high)), 2)
        if test == "ALT" and failure == "alt_high":
            uln = float(params.get("labs.ALT.uln"))
            value = decimal(2 * uln + uniform(rng, params.pair("labs.alt_high_above_2uln")), 0)
        spec = params.get(f"labs.{test}")
        labs.append(LabDraw(_screening_visit(protocol), screening_date, test, value, str(spec["unit"])))
        if test in tests:
            record_labs.append(
                {
                    "test": test,
                    "value": value,
                    "unit": spec["unit"],
                    "lln": Decimal(str(spec["lln"])),
                    "uln": Decimal(str(spec["uln"])),
                }
            )

    last_use = dict.fromkeys(template["last_use"])
    if "topical_corticosteroid" in last_use and rng.random() < 0.6:
        last_use["topical_corticosteroid"] = (day1 - dt.timedelta(days=rng.randint(15, 120))).isoformat()
    judgements = {
        criterion: {**attestation, "investigator": pi_name, "date": evaluated_on.isoformat()}
        for criterion, attestation in template["judgements"].items()
    }
    number = format_subject_number(protocol.settings.subject_numbering.screening, site.code, seq)
    assessments: dict[str, Any] = {"pasi_items": screening.pasi_items}
    if screening.bsa is not None:
        assessments["bsa_percent"] = screening.bsa
    if screening.sas is not None:
        assessments["zung_sas_items"] = screening.sas
    if screening.sds is not None:
        assessments["zung_sds_items"] = screening.sds
    record = {
        "candidate": number,
        "consent_date": consent_day.isoformat(),
        "baseline_date": day1.isoformat(),
        "birth_date": birth.isoformat(),
        "other_trial_end_date": None,
        "assessments": assessments,
        "labs": record_labs,
        "last_use": last_use,
        "facts": dict(template["facts"]),
        "judgements": judgements,
    }
    return SimSubject(
        index=index,
        site=site,
        screening_number=number,
        sex=sex,
        birth_date=birth,
        height_cm=height,
        consent_at=consent_at,
        screening_date=screening_date,
        evaluated_on=evaluated_on,
        record=record,
        failure=failure,
        screening=screening,
        screening_labs=labs,
        screening_weight_kg=weight,
        day1=day1,
    )


def _screening_visit(protocol: Protocol) -> str:
    return next(v.id for v in protocol.visits if v.kind == "screening")
