"""The protocol file format: everything a trial needs to run, as data.

A protocol file (YAML) is validated into :class:`Protocol`. Registry values are kept verbatim; every default the
registry does not state is listed under ``assumptions`` (and marked ``# ASSUMED`` in the file). A draft imported from
ClinicalTrials.gov lists what it could not fill in under ``to_complete``, and is not valid until that list is empty.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, field_validator, model_validator

from dermtrial.forms.model import Codelist, Form
from dermtrial.modeling import Ident, Precision, Quantity, StrictModel, UnitStr, Window
from dermtrial.protocol.eligibility import Eligibility

FORMAT_VERSION = 1


def _date_text(value: object) -> object:
    """YAML reads 2019-07-23 as a date; keep registry dates as the text the registry gave."""
    return value.isoformat() if isinstance(value, dt.date) else value


PartialDate = Annotated[str, BeforeValidator(_date_text), Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")]
"""An ISO 8601 date, possibly without the day (``2019-07``)."""


class RegistryDate(StrictModel):
    """A date as a registry gives it: ``YYYY-MM-DD`` or ``YYYY-MM``, actual or estimated."""

    date: PartialDate
    """ISO 8601 date, possibly without the day."""
    type: Literal["ACTUAL", "ESTIMATED"] | None = None
    """Whether the date has happened."""


class Site(StrictModel):
    """A site running the trial."""

    id: Ident
    """Short site code used in subject numbers."""
    name: str
    """The institution."""
    city: str | None = None
    """City."""
    country: str | None = None
    """Country."""
    timezone: str | None = None
    """IANA time zone of the site's clinical dates and times, e.g. ``Asia/Shanghai`` (a draft may lack it)."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f'"{value}" is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin)') from exc
        return value


class Identity(StrictModel):
    """Who and what the trial is, as registered."""

    registry_id: str = Field(pattern=r"^NCT\d{8}$")
    """ClinicalTrials.gov identifier."""
    sponsor_code: str | None = None
    """The sponsor's protocol code (the registry's org study id)."""
    brief_title: str
    """Brief title, verbatim."""
    official_title: str | None = None
    """Official title, verbatim."""
    acronym: str | None = None
    """Acronym, if registered."""
    summary: str | None = None
    """Brief summary, verbatim."""
    sponsor: str
    """Lead sponsor."""
    conditions: list[str] = Field(default_factory=list)
    """Conditions as registered."""
    keywords: list[str] = Field(default_factory=list)
    """Keywords as registered."""
    overall_status: str | None = None
    """Registry status, e.g. ``COMPLETED``."""
    phase_label: str | None = None
    """The phase as a label elsewhere in the record (e.g. "Early Phase 1"), kept beside ``design.phases``."""
    start: RegistryDate | None = None
    """Study start."""
    primary_completion: RegistryDate | None = None
    """Primary completion."""
    completion: RegistryDate | None = None
    """Study completion."""
    last_update: PartialDate | None = None
    """Date of the registry record's last update."""
    sites: list[Site] = Field(default_factory=list)
    """Sites."""


class Enrollment(StrictModel):
    """Planned or actual number of subjects."""

    count: int = Field(ge=0)
    """Number of subjects."""
    type: Literal["ACTUAL", "ESTIMATED"]
    """Whether the number is the actual one."""


class Design(StrictModel):
    """The design block, in ClinicalTrials.gov API v2 vocabulary, verbatim."""

    study_type: Literal["INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED_ACCESS"]
    """``studyType``."""
    phases: list[str] = Field(default_factory=list)
    """``phases``, e.g. ``[PHASE1, PHASE2]``."""
    allocation: str | None = None
    """``designInfo.allocation`` (``NA`` for a single arm)."""
    intervention_model: str | None = None
    """``designInfo.interventionModel``."""
    primary_purpose: str | None = None
    """``designInfo.primaryPurpose``."""
    masking: str | None = None
    """``designInfo.maskingInfo.masking``."""
    enrollment: Enrollment
    """``enrollmentInfo``."""


class Arm(StrictModel):
    """An arm (arm group)."""

    id: Ident
    """Short id."""
    label: str
    """The registered label, verbatim."""
    type: str | None = None
    """Arm type as registered (``EXPERIMENTAL`` …)."""
    description: str | None = None
    """Registered description."""
    interventions: list[str] = Field(min_length=1)
    """Ids of the interventions the arm receives."""


DoseBasis = Literal["fixed", "body_weight"]


class Dose(StrictModel):
    """A dose expression: ``{amount: 2.0e6, unit: cell/kg, basis: body_weight}`` or ``{amount: 5.5, unit: g}``."""

    amount: float = Field(gt=0)
    """The number."""
    unit: UnitStr
    """The unit; with ``basis: body_weight`` it is per kilogram (``cell/kg``, ``mg/kg``)."""
    basis: DoseBasis = "fixed"
    """``body_weight``: computed per administration from the weight measured at that visit."""
    weight_from: Literal["same_visit", "screening"] = "same_visit"
    """For weight-based doses: which weight is used."""
    rounding: Precision | None = None
    """The step to which the computed dose is rounded (e.g. ``1e4`` cells), if any."""
    tolerance_percent: Decimal | None = Field(default=None, ge=0)
    """A dose given further than this percentage from the computed dose (either side) is a ``dosing`` deviation;
    exactly the tolerance is within. Left out: 10 % (dermtrial's default, reported as such)."""
    max_weight_kg: Decimal | None = Field(default=None, gt=0)
    """For weight-based doses: a weight above this is dosed at this weight (the weight cap). Left out or ``null``:
    no cap."""
    max_dose: Decimal | None = Field(default=None, gt=0)
    """For weight-based doses: the largest dose per administration, in the dose's unit without ``/kg`` (``cell``).
    Left out or ``null``: no cap."""

    @model_validator(mode="after")
    def _caps_need_weight(self) -> Dose:
        if self.basis != "body_weight" and (self.max_weight_kg is not None or self.max_dose is not None):
            raise ValueError("max_weight_kg and max_dose apply only to a dose with basis: body_weight")
        return self


class Custody(StrictModel):
    """Chain-of-custody limits for a cell product, checked at the bedside. A field left out takes dermtrial's
    default (named in the infusion's result as a default, not the protocol's)."""

    max_minutes_preparation_to_start: int | None = Field(default=None, gt=0)
    """The infusion must start within this many minutes of the product's preparation (left out: 360)."""
    min_viability_percent: Decimal | None = Field(default=None, ge=0, le=100)
    """Lowest viability at release for a unit to be given; exactly the limit is allowed (left out: 70)."""
    identity_check_persons: int | None = Field(default=None, ge=1)
    """How many different people check the unit's identity against the subject at the bedside (left out: 2)."""


Frequency = Literal["ONCE", "QD", "BID", "TID", "QW", "Q2W", "Q4W", "PRN"]
Route = Literal["INTRAVENOUS", "TOPICAL", "ORAL", "SUBCUTANEOUS", "INTRAMUSCULAR", "INTRADERMAL"]


class Intervention(StrictModel):
    """A study product and how it is given."""

    id: Ident
    """Short id used by arms, exposure records and relatedness."""
    name: str
    """Name as registered."""
    kind: Literal["BIOLOGICAL", "DRUG", "DEVICE", "PROCEDURE", "DIETARY_SUPPLEMENT", "OTHER"]
    """Registry intervention type."""
    description: str | None = None
    """Registered description, verbatim."""
    other_names: list[str] = Field(default_factory=list)
    """Other names as registered."""
    product: str | None = None
    """Product and manufacturer, e.g. "Dovonex (LEO Laboratories, Ireland)"."""
    strength: Quantity | None = None
    """Strength of the product (``50 ug/g``)."""
    route: Route | None = None
    """Route of administration (a draft may lack it; it is then incomplete)."""
    dose: Dose | None = None
    """The dose per administration; a topical applied to the lesions may have none."""
    frequency: Frequency | None = None
    """How often (a draft may lack it; it is then incomplete)."""
    duration: Quantity | None = None
    """How long, e.g. ``{amount: 12, unit: week}``."""
    custody: Custody | None = None
    """For a cell product: the chain-of-custody limits checked at the bedside (left out: dermtrial's defaults)."""
    administered_at: list[str] = Field(default_factory=list)
    """For scheduled administrations (infusions): the visit ids at which a dose is given."""
    max_use: Quantity | None = None
    """A labelled maximum (``100 g/week`` for calcipotriol); use above it is a safety finding."""
    expected_adverse_events: list[str] = Field(default_factory=list)
    """Reference safety information: CTCAE terms expected for this product (expectedness is judged against it)."""
    prohibited_medication_exempt: bool = True
    """A study product is never "prohibited medication" (a vitamin D analogue here is the study product)."""


VisitKind = Literal["screening", "treatment", "follow_up"]


class Visit(StrictModel):
    """A scheduled visit, placed by its offset from the first treatment date (day 1 = offset 0)."""

    id: Ident
    """Short id (``screening``, ``day1``, ``week12`` …)."""
    label: str
    """As shown."""
    kind: VisitKind
    """Screening, treatment or follow-up."""
    offset_days: int
    """Target in days after the first treatment date; negative before it."""
    window: Window
    """Days allowed before and after the target."""
    forms: list[str] = Field(default_factory=list)
    """Form codes expected at this visit."""

    @property
    def study_day(self) -> int:
        """CDISC study day of the target: offset + 1 from day 1 on; there is no day 0 (offset −1 is day −1)."""
        return self.offset_days + 1 if self.offset_days >= 0 else self.offset_days


Derivation = Literal["percent_improvement", "change_from_baseline", "responder", "value", "adverse_events"]
MissingRule = Literal["observed_cases", "non_responder", "locf"]


class Endpoint(StrictModel):
    """A registered outcome measure and how dermtrial derives it."""

    id: Ident
    """Short id."""
    type: Literal["primary", "secondary", "safety"]
    """Its rank."""
    title: str
    """Registered title, verbatim."""
    description: str | None = None
    """Registered description, verbatim."""
    time_frame: str | None = None
    """Registered time frame, verbatim."""
    instrument: str | None = None
    """The instrument measured (``pasi`` …); none for safety endpoints."""
    derivation: Derivation | None = None
    """How the value is derived from baseline and timepoint (a draft may leave it out; it is then incomplete)."""
    timepoint: str | None = None
    """The visit id at which it is measured."""
    window: Window | None = None
    """The analysis window around the timepoint's target (defaults to the visit's window)."""
    responder_thresholds: list[int] = Field(default_factory=list)
    """For ``responder``: improvement percentages (50, 75, 90, 100)."""
    missing_data: MissingRule = "observed_cases"
    """The rule for a missing timepoint value."""
    sensitivity: list[MissingRule] = Field(default_factory=list)
    """Sensitivity analyses with other missing-data rules."""
    population: str = "fas"
    """The analysis population id."""

    @model_validator(mode="after")
    def _thresholds(self) -> Endpoint:
        if self.derivation == "responder" and not self.responder_thresholds:
            raise ValueError("a responder endpoint needs responder_thresholds")
        if any(not 0 < t <= 100 for t in self.responder_thresholds):
            raise ValueError("responder_thresholds are percentages above 0 and at most 100")
        return self


PopulationRule = Literal[
    "enrolled", "any_infusion", "any_treatment", "no_major_deviation_primary_in_window", "screened"
]


class Population(StrictModel):
    """An analysis population."""

    id: Ident
    """Short id (``enrolled``, ``fas``, ``pp``, ``safety``)."""
    label: str
    """As shown in tables."""
    rule: PopulationRule
    """Who belongs to it."""
    description: str
    """The definition in words, as printed in the report."""


class LabTest(StrictModel):
    """A laboratory test the protocol collects."""

    code: str = Field(pattern=r"^[A-Z0-9]{1,8}$")
    """CDISC LBTESTCD (``CA``, ``ALT``, ``PLAT`` …)."""
    name: str
    """Test name."""
    si_unit: UnitStr
    """The unit in which values are compared and graded."""
    site_units: list[UnitStr] = Field(default_factory=list)
    """Other units sites may report (converted on entry)."""
    molar_mass_g_per_mol: float | None = Field(default=None, gt=0)
    """Needed to convert between mass and molar units (calcium 40.078 g/mol)."""
    molar_mass_source: str | None = None
    """Where the molar mass comes from (shown with every conversion that uses it)."""
    panel: Literal["chemistry", "haematology", "urinalysis", "other"] = "chemistry"
    """Panel."""
    ctcae_terms: list[str] = Field(default_factory=list)
    """CTCAE v5.0 terms graded from this test (``Platelet count decreased`` …)."""


AlertKind = Literal["weekly_use_above", "lab_grade_at_least", "sae_reported"]


class Alert(StrictModel):
    """A safety alert raised from data."""

    id: Ident
    """Short id."""
    kind: AlertKind
    """What triggers it."""
    intervention: str | None = None
    """For ``weekly_use_above``: the intervention id."""
    limit: Quantity | None = None
    """For ``weekly_use_above``: the limit, e.g. ``100 g/week``."""
    grade: int | None = Field(default=None, ge=1, le=5)
    """For ``lab_grade_at_least``: the grade."""
    message: str
    """The alert text."""

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Alert:
        if self.kind == "weekly_use_above" and (self.intervention is None or self.limit is None):
            raise ValueError("a weekly_use_above alert needs intervention and limit")
        if self.kind == "lab_grade_at_least" and self.grade is None:
            raise ValueError("a lab_grade_at_least alert needs grade")
        return self


class ReportingClocks(StrictModel):
    """Deadlines for safety reports, in hours or calendar days from first knowledge."""

    site_sae_hours: int = Field(default=24, gt=0)
    """The site reports every SAE to the sponsor within this many hours."""
    susar_fatal_days: int = Field(default=7, gt=0)
    """Fatal or life-threatening SUSAR: initial report within these calendar days."""
    susar_fatal_followup_days: int = Field(default=8, gt=0)
    """…and a follow-up report within these further days."""
    susar_other_days: int = Field(default=15, gt=0)
    """Other SUSARs."""


class Safety(StrictModel):
    """Safety rules: grading standard, lab tests, alerts, reporting clocks."""

    grading_standard: str = "NCI CTCAE"
    """The grading standard."""
    grading_version: str = "5.0"
    """Its version."""
    lab_tests: list[LabTest] = Field(default_factory=list)
    """The laboratory tests collected."""
    alerts: list[Alert] = Field(default_factory=list)
    """Alerts raised from data."""
    clocks: ReportingClocks = Field(default_factory=ReportingClocks)
    """Reporting deadlines."""


class SubjectNumbering(StrictModel):
    """Subject number formats (Python format strings with ``site`` and ``seq``)."""

    screening: str = "{site}-S{seq:03d}"
    """Screening number, given at consent."""
    enrollment: str = "{site}-E{seq:02d}"
    """Enrollment number, given at enrollment."""


class Settings(StrictModel):
    """Choices where the registry is silent. Each default is documented in docs/protocol-file.md."""

    zung_conversion: Literal["integer_part", "round_half_up"] = "integer_part"
    """How a Zung raw × 1.25 becomes an integer index."""
    bsa_palm_includes_fingers: bool = True
    """Whether one palm (≈ 1 % BSA) includes the fingers."""
    eligibility_calcium: Literal["measured_total", "albumin_corrected"] = "measured_total"
    """Which calcium the eligibility limits apply to."""
    calcium_correction: Literal["payne"] = "payne"
    """Correction formula for albumin-corrected calcium (Payne: Ca + 0.02 × (40 − albumin g/L) mmol/L)."""
    hemoglobin_increased_reference: Literal["uln", "baseline"] = "uln"
    """What a CTCAE "Hemoglobin increased" increase is counted from: the ULN, or the subject's baseline."""
    transaminase_limit_reading: Literal["greater_than_2_uln_excludes", "at_least_3_uln_excludes"] = (
        "greater_than_2_uln_excludes"
    )
    """Reading of "AST or ALT 2 times more than normal upper limit"."""
    washout_edge: Literal["exact_days_meet", "exact_days_fail"] = "exact_days_meet"
    """Whether a last use exactly the washout length before baseline meets the washout."""
    visit_window_tie_break: Literal["earlier", "later"] = "earlier"
    """Two assessments equally close to a visit's target: which one counts."""
    unscheduled_may_serve_timepoint: bool = False
    """Whether an unscheduled visit inside a window may stand for the scheduled timepoint."""
    rater_change_flag: bool = True
    """Flag a change of PASI assessor within a subject."""
    assessor_blinded: bool = False
    """Whether the PASI assessor is blinded to treatment (open-label: no)."""
    subject_numbering: SubjectNumbering = Field(default_factory=SubjectNumbering)
    """Subject number formats."""


class Assumption(StrictModel):
    """A default the registry does not state, chosen for this file."""

    path: str
    """Dotted path of the field it concerns, list elements named by id: ``visits.week4.offset_days``."""
    note: str
    """Why this value, and its source."""


class ToComplete(StrictModel):
    """Something an imported draft could not fill in; the file is not valid until none is left."""

    path: str
    """Dotted path of what must be completed."""
    reason: str
    """Why the record could not give it."""


class Protocol(StrictModel):
    """A complete protocol file."""

    format_version: Literal[1]
    """The version of this file format (1)."""
    version: str
    """The protocol's own version (``1.0``, ``2.0`` for an amendment)."""
    effective_date: dt.date
    """The date from which this version applies."""
    supersedes: str | None = None
    """The protocol version this amendment replaces."""
    identity: Identity
    """Who and what the trial is."""
    design: Design
    """The registered design."""
    arms: list[Arm] = Field(min_length=1)
    """Arms."""
    interventions: list[Intervention] = Field(min_length=1)
    """Interventions."""
    visits: list[Visit] = Field(default_factory=list)
    """The visit schedule."""
    forms: list[Form] = Field(default_factory=list)
    """Every CRF and instrument form."""
    codelists: list[Codelist] = Field(default_factory=list)
    """Code lists used by form items."""
    endpoints: list[Endpoint] = Field(default_factory=list)
    """Endpoints."""
    populations: list[Population] = Field(default_factory=list)
    """Analysis populations."""
    eligibility: Eligibility = Field(default_factory=Eligibility)
    """Eligibility criteria."""
    safety: Safety = Field(default_factory=Safety)
    """Safety rules."""
    settings: Settings = Field(default_factory=Settings)
    """Choices where the registry is silent."""
    assumptions: list[Assumption] = Field(default_factory=list)
    """Defaults not stated by the registry."""
    to_complete: list[ToComplete] = Field(default_factory=list)
    """What an imported draft still lacks."""

    def visit(self, visit_id: str) -> Visit:
        """The visit with this id (KeyError if none)."""
        for visit in self.visits:
            if visit.id == visit_id:
                return visit
        raise KeyError(visit_id)

    def form(self, code: str) -> Form:
        """The form with this code (KeyError if none)."""
        for form in self.forms:
            if form.code == code:
                return form
        raise KeyError(code)

    def intervention(self, intervention_id: str) -> Intervention:
        """The intervention with this id (KeyError if none)."""
        for intervention in self.interventions:
            if intervention.id == intervention_id:
                return intervention
        raise KeyError(intervention_id)

    def primary_endpoint(self) -> Endpoint | None:
        """The first primary endpoint, if any."""
        return next((e for e in self.endpoints if e.type == "primary"), None)
