"""Prohibited concomitant medication: a washout class taken during the study is a deviation; study products never are.

The prohibited classes are the washout classes of the eligibility criteria (the protocol's ``therapy_class`` code
list, all but ``other``): topical corticosteroids, topical retinoids, topical vitamin D analogues, systemic therapy,
phototherapy, PUVA and biologics. A medication is *during the study* when its (possibly partial) start–stop
interval meets the period from the first treatment date to the end of study; a partial date is taken at its widest
(``2019-08`` runs from the 1st to the last day of August), so an overlap that may have happened is flagged.

A record that is a study product — named by ``study_product``, or whose verbatim name is one of a study
intervention's names — is exempt when the intervention says so (``prohibited_medication_exempt``): calcipotriol is a
vitamin D analogue and is the study's own ointment.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from dermtrial.protocol.model import Intervention

PROHIBITED_CLASSES: frozenset[str] = frozenset(
    {
        "topical_corticosteroid",
        "topical_retinoid",
        "topical_vitamin_d_analogue",
        "systemic_therapy",
        "phototherapy",
        "puva",
        "biologic",
    }
)
"""The washout classes (codes of the ``therapy_class`` code list)."""


@dataclass(frozen=True)
class ConMed:
    """A concomitant medication as recorded."""

    verbatim: str
    """The name as written."""
    therapy_class: str | None
    """Its class (``therapy_class`` code), if known."""
    start: str | None
    """Start date, ISO 8601, possibly partial (``2019-08``); none when unknown (taken as long before)."""
    stop: str | None
    """Stop date, possibly partial; none while ongoing."""
    atc_code: str | None = None
    """WHO ATC code where known."""
    study_product: str | None = None
    """The intervention id when the record is a study product."""


@dataclass(frozen=True)
class ConMedFinding:
    """Whether a medication is prohibited during the study, and why."""

    prohibited: bool
    """True when it is a deviation."""
    reason: str
    """Why (or why not)."""


def partial_bounds(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day a partial ISO date can mean (``2019`` → Jan 1–Dec 31, ``2019-08`` → Aug 1–31)."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3:
        day = dt.date(parts[0], parts[1], parts[2])
        return day, day
    if len(parts) == 2:
        last = calendar.monthrange(parts[0], parts[1])[1]
        return dt.date(parts[0], parts[1], 1), dt.date(parts[0], parts[1], last)
    return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)


def _is_study_product(med: ConMed, interventions: Sequence[Intervention]) -> Intervention | None:
    name = med.verbatim.strip().casefold()
    for intervention in interventions:
        names = {intervention.id, intervention.name, *intervention.other_names}
        if med.study_product == intervention.id or name in {n.casefold() for n in names}:
            return intervention
        if intervention.product and name and name in intervention.product.casefold():
            return intervention
    return None


def check_prohibited_medication(
    med: ConMed, first_treatment: dt.date, end_of_study: dt.date | None, interventions: Sequence[Intervention]
) -> ConMedFinding:
    """Whether ``med`` is a prohibited medication taken during the study (see the module docstring)."""
    product = _is_study_product(med, interventions)
    if product is not None and product.prohibited_medication_exempt:
        return ConMedFinding(False, f"study product {product.id} is exempt")
    if med.therapy_class not in PROHIBITED_CLASSES:
        return ConMedFinding(False, f"class {med.therapy_class or 'unknown'} is not a washout class")
    starts = dt.date.min if med.start is None else partial_bounds(med.start)[0]
    stops = dt.date.max if med.stop is None else partial_bounds(med.stop)[1]
    study_end = dt.date.max if end_of_study is None else end_of_study
    if stops < first_treatment or starts > study_end:
        return ConMedFinding(False, "taken outside the study period")
    return ConMedFinding(True, f"{med.therapy_class} taken during the study (from {first_treatment})")
