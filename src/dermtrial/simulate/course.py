"""An eligible candidate's course: visits (some missed, some out of window), PASI under the response model and the
other instruments, weights, infusions with their product units, ointment weighings, laboratory results, adverse
events, the end of treatment and of the study.

Response model (parameters in ``data/psoriasis.yaml``, ``response``): each subject has a maximal improvement
fraction E (Beta(a, b) rescaled to [low, 1]) and an onset time τ (log-normal); at t days after day 1 the expected
PASI is baseline × (1 − E × (1 − e^(−t/τ))) while on treatment; after the last treatment day the improvement decays
with the relapse time; every assessed value carries multiplicative noise.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from itertools import pairwise

from dermtrial.conduct import compute_dose, rules_for
from dermtrial.protocol.model import Protocol
from dermtrial.simulate._draw import clipped_normal, decimal, log_normal, poisson, uniform, weighted, whole
from dermtrial.simulate.model import AdverseEventPlan, InfusionPlan, LabDraw, SimSubject, TubePlan, VisitPlan
from dermtrial.simulate.params import Params
from dermtrial.simulate.screening import LAB_PLACES, assessment, lab_value


@dataclass(frozen=True)
class Roles:
    """What the cohort decided for this subject: the one SAE, the one week of ointment above 100 g."""

    serious_event: bool = False
    heavy_ointment: bool = False


def _visit_dates(protocol: Protocol, params: Params, subject: SimSubject, rng: random.Random, roles: Roles) -> None:
    """Dates of the visits after screening: day 1 as planned, the others in, sometimes out of, their windows."""
    assert subject.day1 is not None
    protected = roles.serious_event or roles.heavy_ointment
    visits = [v for v in protocol.visits if v.kind != "screening"]
    treatment = [v.id for v in visits if v.kind == "treatment"]
    drop_at: str | None = None
    if not protected and rng.random() < params.number("visits.dropout_rate") and len(treatment) > 2:
        drop_at = treatment[rng.randint(1, len(treatment) - 2)]
    for visit in visits:
        date: dt.date | None
        if visit.offset_days == 0:
            date = subject.day1
        elif _missed(visit.kind, protected, params, rng):
            date = None
        else:
            before, after = visit.window.before, visit.window.after
            if rng.random() < params.number("visits.out_of_window_rate"):
                shift = after + rng.randint(1, 3) if rng.random() < 0.7 else -(before + rng.randint(1, 3))
            else:
                shift = round(rng.triangular(-before, after, 0))
            date = subject.day1 + dt.timedelta(days=visit.offset_days + shift)
        subject.visits.append(VisitPlan(visit.id, date))
        if visit.id == drop_at:
            subject.study_end = ("withdrew-consent", f"withdrew consent after {visit.id}")
            break


def _missed(kind: str, protected: bool, params: Params, rng: random.Random) -> bool:
    """A follow-up visit never attended (lost), or another visit missed (never for a subject with a study role)."""
    if kind == "follow_up" and rng.random() < params.number("visits.lost_at_follow_up_rate"):
        return True
    return not protected and rng.random() < params.number("visits.missed_rate")


def _pasi_at(base: float, emax: float, onset: float, relapse: float, day: int, last_day: int) -> float:
    improvement = emax * (1 - math.exp(-min(day, last_day) / onset))
    if day > last_day:
        improvement *= math.exp(-(day - last_day) / relapse)
    return base * (1 - improvement)


def draw_course(protocol: Protocol, params: Params, subject: SimSubject, rng: random.Random, roles: Roles) -> None:
    """Fill the course of an eligible, enrolled subject in place."""
    assert subject.day1 is not None
    day1 = subject.day1
    subject.enrolled_on = min(subject.evaluated_on + dt.timedelta(days=1), day1 - dt.timedelta(days=1))
    _visit_dates(protocol, params, subject, rng, roles)
    kinds = {v.id: v.kind for v in protocol.visits}
    attended = [v for v in subject.visits if v.date is not None]
    treatment_days = [v for v in protocol.visits if v.kind == "treatment"]
    last_planned = max(v.offset_days for v in treatment_days)
    dropped = subject.study_end is not None
    last_treatment_visit = (
        attended[-1] if dropped else next((v for v in attended if v.code == treatment_days[-1].id), None)
    )
    subject.last_treatment = (
        last_treatment_visit.date
        if last_treatment_visit is not None and last_treatment_visit.date is not None
        else day1 + dt.timedelta(days=last_planned)
    )
    last_day = (subject.last_treatment - day1).days

    a, b = params.pair("response.emax_beta")
    low = params.number("response.emax_low")
    emax = low + (1 - low) * rng.betavariate(a, b)
    onset = log_normal(rng, params.number("response.onset_days.median"), params.number("response.onset_days.spread"))
    relapse = params.number("response.relapse_days")
    noise = params.number("response.noise_sd")
    base = float(subject.screening.pasi) * math.exp(rng.gauss(0, params.number("response.screening_to_day1_sd")))
    bsa_ratio = float(subject.screening.bsa or 0) / max(0.1, float(subject.screening.pasi))

    weight = float(subject.screening_weight_kg)
    drift = params.number("infusion.weight_drift_kg")
    wlow, whigh = params.pair("demographics.weight_kg.range")
    visits: list[VisitPlan] = []
    for visit in subject.visits:
        if visit.date is None:
            visits.append(visit)
            continue
        day = (visit.date - day1).days
        target = _pasi_at(base, emax, onset, relapse, day, last_day) * math.exp(rng.gauss(0, noise))
        target = min(72.0, max(0.0, target))
        subject.assessments.append(
            assessment(
                protocol,
                visit.code,
                visit.date,
                target,
                target * bsa_ratio,
                rng,
                sas_raw=whole(rng, params.pair("baseline.sas_raw")),
                sds_raw=whole(rng, params.pair("baseline.sds_raw")),
            )
        )
        weight = clipped_normal(rng, weight, drift if day > 0 else 0.3, wlow, whigh)
        has_weight = "WT" in protocol.visit(visit.code).forms
        visits.append(VisitPlan(visit.code, visit.date, decimal(weight, 1) if has_weight else None))
    subject.visits = visits
    _infusions(protocol, params, subject, rng)
    _ointment(protocol, params, subject, rng, roles)
    _labs(protocol, params, subject, rng, roles)
    _adverse_events(protocol, params, subject, rng, roles)
    if dropped:
        subject.treatment_end = "discontinued"
    else:
        subject.treatment_end = "completed"
        follow_up = [v for v in subject.visits if kinds.get(v.code) == "follow_up"]
        if follow_up and follow_up[-1].date is None:
            subject.study_end = ("lost", "did not attend the follow-up visit; lost to follow-up")
        else:
            subject.study_end = ("completed", "completed the study")


def _infusions(protocol: Protocol, params: Params, subject: SimSubject, rng: random.Random) -> None:
    product = next((i for i in protocol.interventions if i.dose and i.dose.basis == "body_weight"), None)
    if product is None or product.dose is None:
        return
    rules = rules_for(protocol, intervention=product)
    for visit in subject.visits:
        if visit.code not in product.administered_at or visit.date is None:
            continue
        weight = visit.weight_kg or subject.screening_weight_kg
        dose = compute_dose(product.dose, weight, rules).amount
        started = dt.datetime.combine(visit.date, dt.time(rng.randint(9, 11), rng.choice((0, 10, 20, 30, 40, 50))))
        hours = uniform(rng, params.pair("infusion.prepared_hours_before"))
        prepared = started - dt.timedelta(minutes=round(60 * hours))
        ended = started + dt.timedelta(minutes=whole(rng, params.pair("infusion.minutes")))
        reaction = None
        if rng.random() < params.number("infusion.reaction_rate"):
            reaction = 2 if rng.random() < params.number("infusion.reaction_grade2_fraction") else 1
        viability = decimal(uniform(rng, params.pair("infusion.viability_percent")), 1)
        subject.infusions.append(InfusionPlan(visit.code, weight, dose, started, ended, prepared, viability, reaction))


def _ointment(protocol: Protocol, params: Params, subject: SimSubject, rng: random.Random, roles: Roles) -> None:
    """One weighed supply per interval between attended visits with the ointment form, up to the last treatment."""
    last = subject.last_treatment
    visits = [
        v
        for v in subject.visits
        if v.date is not None and "OINT" in protocol.visit(v.code).forms and (last is None or v.date <= last)
    ]
    mean, sd = params.pair("ointment.grams_per_week_per_bsa")
    usual_cap = params.number("ointment.max_usual_g_per_week")
    tare = params.number("ointment.tube_tare_g")
    bsa = float(subject.screening.bsa or 5)
    for number, (given, back) in enumerate(pairwise(visits), 1):
        assert given.date is not None
        assert back.date is not None
        days = (back.date - given.date).days
        rate = min(usual_cap, max(3.0, bsa * rng.gauss(mean, sd)))
        if roles.heavy_ointment and number == 1:
            rate = uniform(rng, params.pair("ointment.heavy_g_per_week"))
        used = rate * days / 7
        dispensed = min(490.0, used + tare + rng.uniform(10, 40))
        used = min(used, dispensed - tare - 1)
        dispensed_g = decimal(dispensed, 1)
        subject.tubes.append(
            TubePlan(
                f"{subject.screening_number}-T{number}",
                given.date,
                dispensed_g,
                back.date,
                dispensed_g - decimal(used, 1),
            )
        )


def _labs(protocol: Protocol, params: Params, subject: SimSubject, rng: random.Random, roles: Roles) -> None:
    panel = [str(t) for t in params.get("labs.on_treatment_panel")]
    abnormal = params.get("labs.abnormal")
    heavy_after = subject.tubes[0].returned if roles.heavy_ointment and subject.tubes else None
    heavy_done = False
    for visit in subject.visits:
        if visit.date is None or "LB" not in protocol.visit(visit.code).forms:
            continue
        for test in panel:
            spec = params.get(f"labs.{test}")
            value = lab_value(params, test, rng)
            if test in abnormal and rng.random() < params.number("labs.abnormal_rate"):
                rule = abnormal[test]
                if "uln_multiple" in rule:
                    value = decimal(float(spec["uln"]) * uniform(rng, tuple(rule["uln_multiple"])), LAB_PLACES[test])
                else:
                    value = decimal(uniform(rng, tuple(rule["value"])), LAB_PLACES[test])
            if test == "CA" and heavy_after is not None and not heavy_done and visit.date >= heavy_after:
                value, heavy_done = decimal(uniform(rng, params.pair("labs.heavy_ointment_calcium")), 2), True
            subject.labs.append(LabDraw(visit.code, visit.date, test, value, str(spec["unit"])))


def _relatedness(protocol: Protocol, given: dict[str, str]) -> dict[str, str]:
    return {product.id: given.get(product.id, "NOT_RELATED") for product in protocol.interventions}


def _adverse_events(protocol: Protocol, params: Params, subject: SimSubject, rng: random.Random, roles: Roles) -> None:
    assert subject.day1 is not None
    for infusion in subject.infusions:
        if infusion.reaction_grade is None:
            continue
        day = infusion.started.date()
        subject.adverse_events.append(
            AdverseEventPlan(
                verbatim="chills and flushing during the infusion"
                if infusion.reaction_grade == 1
                else "rigors and fever during the infusion, infusion paused",
                term="Infusion related reaction",
                start=day,
                stop=day + dt.timedelta(days=1),
                grade=infusion.reaction_grade,
                relatedness=_relatedness(protocol, {"admsc": "PROBABLE"}),
                action_taken="DOSE NOT CHANGED" if infusion.reaction_grade == 1 else "DRUG INTERRUPTED",
                outcome="RECOVERED/RESOLVED",
            )
        )
    terms = params.get("adverse_events.terms")
    last_seen = max(v.date for v in subject.visits if v.date is not None)
    span = max(1, (last_seen - subject.day1).days)
    for _ in range(poisson(rng, params.number("adverse_events.per_subject_mean"))):
        term = weighted(rng, params.weights("adverse_events.terms"))
        _, top_grade, to_cells, to_ointment = terms[term]
        start = subject.day1 + dt.timedelta(days=rng.randint(1, span))
        subject.adverse_events.append(
            AdverseEventPlan(
                verbatim=term.lower(),
                term=term,
                start=start,
                stop=start + dt.timedelta(days=rng.randint(2, 14)),
                grade=rng.randint(1, int(top_grade)),
                relatedness=_relatedness(protocol, {"admsc": str(to_cells), "calcipotriol": str(to_ointment)}),
                action_taken="DOSE NOT CHANGED",
                outcome="RECOVERED/RESOLVED",
            )
        )
    if roles.serious_event:
        spec = params.get("adverse_events.serious")
        start = subject.day1 + dt.timedelta(days=rng.randint(35, 50))
        subject.adverse_events.append(
            AdverseEventPlan(
                verbatim=str(spec["verbatim"]),
                term=str(spec["term"]),
                start=start,
                stop=start + dt.timedelta(days=rng.randint(7, 14)),
                grade=int(spec["grade"]),
                relatedness=_relatedness(protocol, {str(k): str(v) for k, v in spec["relatedness"].items()}),
                action_taken="DOSE NOT CHANGED",
                outcome="RECOVERED/RESOLVED",
                seriousness=tuple(str(s) for s in spec["seriousness"]),
                aware=dt.datetime.combine(start + dt.timedelta(days=1), dt.time(9, 0)),
            )
        )
    subject.adverse_events.sort(key=lambda event: event.start)
