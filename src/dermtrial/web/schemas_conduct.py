"""JSON bodies of the conduct endpoints (:mod:`dermtrial.web.api_conduct`), with examples for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dermtrial.web.schemas import EXAMPLE_SUBJECT, Subject

LOCAL = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$"


class ScreenCreate(BaseModel):
    """A new candidate: the site, the consent form version and when consent was signed (site local time)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"site": "GZ01", "consent_version": "1.0", "consent_signed_local": "2019-07-10T10:00"}]
        },
    )

    site: str = Field(min_length=1, max_length=32, description="The site's code.")
    consent_version: str = Field(min_length=1, max_length=32, description="Version of the consent form signed.")
    consent_signed_local: str = Field(pattern=LOCAL, description="Site-local date or date-time of the signature.")


class ScreenedSubject(Subject):
    """The candidate as created."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_SUBJECT | {"status": "screening"}]})


EXAMPLE_CRITERION: dict[str, Any] = {
    "id": "E5b",
    "type": "exclusion",
    "kind": "computed",
    "text": "hypercalcaemia or hypocalcaemia",
    "result": "satisfied",
    "reason": "calcium 2.35 mmol/L not > 2.9 mmol/L",
    "evidence": {"inputs": {"calcium": {"value": 2.35, "unit": "mmol/L", "converted": 2.35}}},
}


class Criterion(BaseModel):
    """One criterion's result (``satisfied`` / ``not_satisfied`` / ``unknown``) with the engine's evidence."""

    id: str
    type: str
    kind: str
    text: str
    result: str
    reason: str
    evidence: dict[str, Any]


class Evaluation(BaseModel):
    """A stored eligibility evaluation."""

    id: int
    verdict: str
    evaluated_local: str
    protocol_version: str
    signed: bool
    signatures: list[str]
    criteria: list[Criterion]


class EligibilityAnswer(BaseModel):
    """The latest evaluation, or null before the first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "evaluation": {
                        "id": 4,
                        "verdict": "eligible",
                        "evaluated_local": "2019-07-20",
                        "protocol_version": "1.0",
                        "signed": False,
                        "signatures": [],
                        "criteria": [EXAMPLE_CRITERION],
                    }
                }
            ]
        }
    )

    evaluation: Evaluation | None


class EvaluationCreate(BaseModel):
    """The screening record (docs/eligibility.md) and the site-local date of the evaluation."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "record": {"consent_date": "2019-07-10", "assessments": {"pasi": 15.2}},
                    "evaluated_local": "2019-07-20",
                }
            ]
        },
    )

    record: dict[str, Any] = Field(description="The screening record, as for ``dermtrial eligibility check``.")
    evaluated_local: str = Field(pattern=LOCAL, description="Site-local date of the evaluation.")


class EnrollmentCreate(BaseModel):
    """The site-local enrollment date."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"enrolled_local": "2019-07-25"}]})

    enrolled_local: str = Field(pattern=LOCAL, description="Site-local date of enrollment.")


class EnrolledSubject(Subject):
    """The subject, now enrolled with its enrollment number."""


class ExpectedForm(BaseModel):
    """A form the protocol assigns to the visit: ``not-started`` or the saved form's status, id and version."""

    form_code: str
    title: str
    instrument: str | None
    status: str
    form_id: int | None
    version: int | None


class VisitForms(BaseModel):
    """A visit and its expected forms."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject_id": 1,
                    "visit_id": 2,
                    "visit_code": "day1",
                    "label": "Day 1",
                    "status": "planned",
                    "visit_local": None,
                    "forms": [
                        {
                            "form_code": "PASI",
                            "title": "PASI",
                            "instrument": "pasi",
                            "status": "not-started",
                            "form_id": None,
                            "version": None,
                        }
                    ],
                }
            ]
        }
    )

    subject_id: int
    visit_id: int
    visit_code: str
    label: str
    status: str
    visit_local: str | None
    forms: list[ExpectedForm]


class DraftSave(BaseModel):
    """The values entered so far and the version read (null before the first save)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"item_values": {"PULSE": "72"}, "version": None}]}
    )

    item_values: dict[str, Any] = Field(description="Item code → value; empty values are left out.")
    version: int | None = Field(default=None, ge=1, le=2**31 - 1, description="The version read; null at first.")


class DraftSaved(BaseModel):
    """The saved draft's id, new version and status."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"form_id": 12, "version": 2, "status": "in-progress"}]})

    form_id: int
    version: int
    status: str


class PasiEntry(BaseModel):
    """PASI items entered so far, by dotted code (``head.erythema``: 0–4, ``head.area``: 0–6)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"item_values": {"head.erythema": 2, "head.induration": 1, "head.desquamation": 2, "head.area": 3}}
            ]
        },
    )

    item_values: dict[str, int | None] = Field(description="Dotted item code → whole number (null: not entered).")


class PasiScore(BaseModel):
    """The PASI of the items entered (missing ones count 0), region subscores and flags of whole regions."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "complete": False,
                    "pasi": 1.5,
                    "regions": {"head": 1.5, "upper_limbs": 0.0, "trunk": 0.0, "lower_limbs": 0.0},
                    "flags": [],
                    "missing": ["upper_limbs.erythema"],
                    "version": "1",
                }
            ]
        }
    )

    complete: bool
    pasi: float
    regions: dict[str, float]
    flags: list[dict[str, str]]
    missing: list[str]
    version: str


class VisitRecord(BaseModel):
    """When the visit took place (site-local date or date-time)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"visit_local": "2019-08-01"}]})

    visit_local: str = Field(pattern=LOCAL, description="Site-local date or date-time of the visit.")


class VisitRecorded(BaseModel):
    """The window class (``in_window`` or outside it, which raises a deviation) and the visit with its forms."""

    window: str
    visit: VisitForms


class InstrumentEntry(BaseModel):
    """Items of a scored instrument entered so far, by item code (as on its form page)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"item_values": {"q1": 2, "q2": 1, "q3": "not_relevant"}}]},
    )

    item_values: dict[str, int | float | bool | str | None] = Field(
        description="Item code → value (null or absent: not entered); the instrument checks each value."
    )


class InstrumentScore(BaseModel):
    """The instrument's value for the items entered, or why there is none yet, and its full result."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "instrument": "spga",
                    "complete": True,
                    "value": 3,
                    "not_computable": None,
                    "missing": [],
                    "result": {"spga": 3, "label": "moderate", "version": "sPGA-5/dermtrial-1"},
                    "version": "sPGA-5/dermtrial-1",
                }
            ]
        }
    )

    instrument: str
    complete: bool
    value: int | float | None
    not_computable: str | None
    missing: list[str]
    result: dict[str, Any] | None
    version: str | None
