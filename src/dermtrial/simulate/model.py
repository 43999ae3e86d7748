"""What the generator produces: one :class:`SimSubject` per candidate, from consent to the end of their study.

Everything is a value (dates are site-local calendar dates or naive site-local date-times); the driver replays it
through the services, the CSV writer reads the PASI assessments. Nothing here touches a database, the disk or the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class SiteSpec:
    """A site the cohort is spread over."""

    code: str
    name: str
    timezone: str


@dataclass(frozen=True)
class Assessment:
    """The instruments assessed at one visit; ``pasi`` is what ``pasi_items`` scores to."""

    visit: str
    date: dt.date
    pasi_items: dict[str, dict[str, int]]
    pasi: Decimal
    bsa: Decimal | None = None
    spga: int | None = None
    dlqi: dict[str, Any] | None = None
    itch: int | None = None
    sas: list[int] | None = None
    sds: list[int] | None = None


@dataclass(frozen=True)
class VisitPlan:
    """A scheduled visit as it happened: its date, or None when missed."""

    code: str
    date: dt.date | None
    weight_kg: Decimal | None = None


@dataclass(frozen=True)
class LabDraw:
    """One laboratory result, in the unit given."""

    visit: str
    date: dt.date
    test: str
    value: Decimal
    unit: str


@dataclass(frozen=True)
class InfusionPlan:
    """One infusion of the cell product with its product unit."""

    visit: str
    weight_kg: Decimal
    dose: Decimal
    started: dt.datetime
    ended: dt.datetime
    prepared: dt.datetime
    viability_percent: Decimal
    reaction_grade: int | None = None


@dataclass(frozen=True)
class TubePlan:
    """A weighed ointment tube: dispensed at one visit, returned (weighed again) at the next one attended."""

    tube_id: str
    dispensed: dt.date
    dispensed_g: Decimal
    returned: dt.date | None
    returned_g: Decimal | None


@dataclass(frozen=True)
class AdverseEventPlan:
    """An adverse event, its causality per product and, when serious, when the site learned of it."""

    verbatim: str
    term: str
    start: dt.date
    stop: dt.date | None
    grade: int
    relatedness: dict[str, str]
    action_taken: str
    outcome: str
    seriousness: tuple[str, ...] = ()
    aware: dt.datetime | None = None


@dataclass
class SimSubject:
    """One candidate: screening data and, when eligible, the whole course."""

    index: int
    site: SiteSpec
    screening_number: str
    sex: str
    birth_date: dt.date
    height_cm: Decimal
    consent_at: dt.datetime
    screening_date: dt.date
    evaluated_on: dt.date
    record: dict[str, Any]
    """The screening record handed to the eligibility engine (docs/eligibility.md)."""
    failure: str | None
    """The screen-failure reason drawn (``pasi_bsa_low``, ``sds_high``, ``calcium_out``, ``alt_high``,
    ``age_out``), or None for an eligible candidate."""
    screening: Assessment
    screening_labs: list[LabDraw]
    screening_weight_kg: Decimal
    enrolled_on: dt.date | None = None
    day1: dt.date | None = None
    visits: list[VisitPlan] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    labs: list[LabDraw] = field(default_factory=list)
    infusions: list[InfusionPlan] = field(default_factory=list)
    tubes: list[TubePlan] = field(default_factory=list)
    adverse_events: list[AdverseEventPlan] = field(default_factory=list)
    last_treatment: dt.date | None = None
    treatment_end: str | None = None
    """``completed`` or ``discontinued``; None when never treated."""
    study_end: tuple[str, str] | None = None
    """The final study status and its reason (``completed``, ``withdrew-consent``, ``lost``)."""
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Screening forms other than the instruments, by form code (IC, PSOHX, PRIORTX, MH, PE, PREG, IE)."""
    vitals: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The VS form of every attended visit, by visit code."""

    @property
    def eligible(self) -> bool:
        """Whether the candidate was drawn eligible."""
        return self.failure is None

    def all_assessments(self) -> list[Assessment]:
        """Screening then every on-study assessment, in date order."""
        return [self.screening, *self.assessments]
