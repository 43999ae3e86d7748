"""Prohibited concomitant medication: washout classes during the study; study products never flagged."""

from __future__ import annotations

import datetime as dt

import pytest

from dermtrial.conduct import ConMed, check_prohibited_medication
from dermtrial.protocol.model import Protocol

FIRST = dt.date(2019, 8, 1)
END = dt.date(2020, 1, 16)


@pytest.mark.parametrize(
    "med",
    [
        ConMed("Calcipotriol ointment", "topical_vitamin_d_analogue", "2019-08-01", None),
        ConMed("Dovonex", "topical_vitamin_d_analogue", "2019-08", None),
        ConMed("calcipotriol", "topical_vitamin_d_analogue", None, None, study_product="calcipotriol"),
        ConMed("AD-MSCs", "biologic", "2019-08-01", "2019-08-01"),
    ],
)
@pytest.mark.requirement("CLIN-CONMED-01")
def test_study_products_are_never_prohibited(protocol: Protocol, med: ConMed) -> None:
    assert not check_prohibited_medication(med, FIRST, END, protocol.interventions).prohibited


@pytest.mark.parametrize(
    ("med", "prohibited"),
    [
        (ConMed("clobetasol", "topical_corticosteroid", "2019-09-10", "2019-09-20"), True),
        (ConMed("adalimumab", "biologic", "2019-07", None), True),  # ongoing into the study
        (ConMed("methotrexate", "systemic_therapy", "2019-05-01", "2019-07-31"), False),  # stopped the day before
        (ConMed("methotrexate", "systemic_therapy", "2019-05-01", "2019-08"), True),  # partial stop may overlap
        (ConMed("paracetamol", "other", "2019-09-01", None), False),
        (ConMed("loratadine", None, "2019-09-01", None), False),
    ],
)
def test_washout_classes_during_the_study(protocol: Protocol, med: ConMed, prohibited: bool) -> None:
    assert check_prohibited_medication(med, FIRST, END, protocol.interventions).prohibited is prohibited
