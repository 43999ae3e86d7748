"""The other case report forms of a simulated subject: consent, psoriasis history, prior therapy, medical history,
physical examination, pregnancy tests, eligibility facts, vital signs at every visit and the end of study.

They are drawn from their own seeded stream (``forms``), so adding or changing one never changes a subject's
screening, course or CSV. Values are plain and plausible (ASSUMED); only forms the protocol declares are filled.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from dermtrial.protocol.model import Protocol
from dermtrial.simulate.model import SimSubject

_THERAPY = {
    "topical_corticosteroid": "mometasone furoate 0.1 % cream",
    "topical_retinoid": "tazarotene 0.1 % gel",
    "systemic_therapy": "methotrexate",
    "phototherapy": "narrow-band UVB",
}
_HISTORY = ("Hypertension", "Hyperlipidaemia", "Allergic rhinitis in childhood, resolved", "Gastritis")
_SYSTEMS = ("Skin", "Cardiovascular", "Respiratory", "Abdomen", "Musculoskeletal", "Neurological")


def childbearing(subject: SimSubject) -> bool:
    """A woman under 50 at consent is taken to be of child-bearing potential (ASSUMED)."""
    age = subject.consent_at.year - subject.birth_date.year
    return subject.sex == "F" and age < 50


def vitals(rng: random.Random, day: dt.date) -> dict[str, Any]:
    """The VS form for one visit (ASSUMED adult values)."""
    systolic = rng.randint(105, 142)
    return {
        "VSDAT": day.isoformat(),
        "SYSBP": systolic,
        "DIABP": rng.randint(62, min(92, systolic - 30)),
        "PULSE": rng.randint(58, 92),
        "TEMP": f"{rng.uniform(36.1, 37.2):.1f}",
        "RESP": rng.randint(12, 20),
    }


def pregnancy_test(day: dt.date) -> dict[str, Any]:
    """A negative test with contraception, for a woman of child-bearing potential."""
    return {"PRGDAT": day.isoformat(), "PRGRES": "NEGATIVE", "CONTRA": True, "CONTRAM": "combined oral contraceptive"}


def draw_background(protocol: Protocol, subject: SimSubject, rng: random.Random) -> None:
    """Fill ``subject.forms`` (screening forms by code) and ``subject.vitals`` (by visit code)."""
    declared = {form.code for form in protocol.forms}
    consent = subject.consent_at
    day = subject.screening_date
    record = subject.record
    forms: dict[str, dict[str, Any]] = {
        "IC": {"ICFVER": "1.0", "ICDAT": consent.date().isoformat(), "ICTIM": consent.strftime("%H:%M"),
               "ICSIGNED": True},
        "PSOHX": {"DIAGDAT": str(consent.year - rng.randint(2, 20)), "PSOTYPE": record["facts"].get("psoriasis_type",
                  "plaque"), "PSA": rng.random() < 0.1, "FAMHX": rng.random() < 0.3, "NAIL": rng.random() < 0.4},
        "PRIORTX": {"therapy": [
            {"TRT": _THERAPY.get(cls, cls.replace("_", " ")), "CLASS": cls, "LASTDAT": last}
            for cls, last in (record.get("last_use") or {}).items() if last is not None
        ]},
        "MH": {"conditions": [
            {"MHTERM": term, "MHSTDAT": str(consent.year - rng.randint(1, 15)), "MHONGO": "resolved" not in term}
            for term in _HISTORY if rng.random() < 0.15
        ]},
        "PE": {"systems": [
            {"PEBODSYS": system, "PERES": "ABNORMAL", "PEDESC": "plaque psoriasis"} if system == "Skin"
            else {"PEBODSYS": system, "PERES": "NORMAL"}
            for system in _SYSTEMS
        ]},
    }  # fmt: skip
    if childbearing(subject):
        forms["PREG"] = pregnancy_test(day)
    facts = record.get("facts", {})
    ie: dict[str, Any] = {}
    for spec in protocol.eligibility.inputs:
        item = spec.source.item
        if item and item.startswith("IE.") and facts.get(spec.name) is not None:
            ie[item.removeprefix("IE.")] = facts[spec.name]
    forms["IE"] = ie
    subject.forms = {code: values for code, values in forms.items() if code in declared}
    subject.vitals = {
        visit.code: vitals(rng, visit.date)
        for visit in subject.visits
        if visit.date is not None and "VS" in protocol.visit(visit.code).forms
    }
    subject.vitals[subject.screening.visit] = vitals(rng, day)
