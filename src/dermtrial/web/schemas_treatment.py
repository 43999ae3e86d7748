"""JSON bodies of the treatment and safety entry endpoints of :mod:`dermtrial.web.api_conduct`: lab results and their
live grade, the dose for a weight, infusions and ointment tubes, with examples for the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dermtrial.web.schemas_conduct import LOCAL


class LabEntry(BaseModel):
    """One laboratory result as reported: test, value, unit and when the sample was collected (site local)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"test_code": "ALT", "value": "212", "unit": "U/L", "collected_local": "2019-08-15", "visit_id": 3}
            ]
        },
    )

    test_code: str = Field(min_length=1, max_length=16, description="The protocol's lab test code (LBTESTCD).")
    value: Decimal = Field(ge=0, le=10**9, description="The result, a number ≥ 0 (text keeps its precision).")
    unit: str = Field(min_length=1, max_length=16, description="The unit as reported (SI or a listed site unit).")
    collected_local: str = Field(pattern=LOCAL, description="Site-local date or date-time of collection.")
    visit_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="The visit (when saving).")


class LabGradePreview(BaseModel):
    """The CTCAE grade the result would get (worst term), every term, the reference range used and the SI value."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "test_code": "ALT",
                    "grade": 2,
                    "unit": "U/L",
                    "lln": "9",
                    "uln": "50",
                    "range_reason": None,
                    "terms": [
                        {"term": "Alanine aminotransferase increased", "grade": 2, "reason": None, "value_only": None}
                    ],
                    "si_value": "212",
                    "si_unit": "U/L",
                    "version": "CTCAE v5.0",
                }
            ]
        }
    )

    test_code: str
    grade: int | None
    terms: list[dict[str, Any]]
    lln: str | None
    uln: str | None
    unit: str
    range_reason: str | None
    si_value: str
    si_unit: str
    version: str | None


class LabSaved(BaseModel):
    """The stored result's id, its grade and the safety alerts it raised."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": 7, "grade": 3, "alerts": ["grade 3 ALT"]}]})

    id: int
    grade: int | None
    alerts: list[str]


class DoseQuery(BaseModel):
    """The weight measured at the visit and, optionally, the dose given (to compare with the tolerance)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"weight_kg": "62.5"}]})

    weight_kg: Decimal = Field(ge=0, le=1000, description="Body weight at this visit, kg.")
    dose_given: Decimal | None = Field(default=None, ge=0, le=10**15, description="Cells given, if known.")


class DoseAnswer(BaseModel):
    """The protocol's dose for the weight, the weight used (after any cap) and the comparison with the dose given."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "product": "admsc",
                    "computed_dose": "125000000",
                    "unit": "cell",
                    "weight_kg": "62.5",
                    "capped": None,
                    "tolerance_percent": "10",
                    "within_tolerance": True,
                    "difference_percent": "0.00",
                }
            ]
        }
    )

    product: str
    computed_dose: str
    unit: str
    weight_kg: str | None
    capped: str | None
    tolerance_percent: str
    within_tolerance: bool | None
    difference_percent: str | None


class ProductUnitIn(BaseModel):
    """The cell product unit given: identity, release, counts, storage and preparation times (site local)."""

    model_config = ConfigDict(extra="forbid")

    unit_id: str = Field(min_length=1, max_length=64)
    lot: str = Field(min_length=1, max_length=64)
    donor_code: str = Field(min_length=1, max_length=64)
    release_certificate: str | None = Field(default=None, max_length=64)
    cell_count: Decimal = Field(ge=0, le=10**15)
    viability_percent: Decimal = Field(ge=0, le=100)
    volume_ml: Decimal = Field(ge=0, le=10_000)
    storage_temperature_c: Decimal = Field(ge=-273, le=100)
    prepared_at: str = Field(pattern=LOCAL)
    expires_at: str = Field(pattern=LOCAL)
    identity_checked_by: list[str] = Field(default_factory=list, max_length=10)


class InfusionCreate(BaseModel):
    """One infusion at a scheduled infusion visit: weight, dose given, times and the product unit."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "visit_code": "day1",
                    "weight_kg": "62.5",
                    "dose_given": "125000000",
                    "started_local": "2019-08-01T09:30",
                    "ended_local": "2019-08-01T10:10",
                    "unit": {
                        "unit_id": "BAG-0193",
                        "lot": "L2019-07",
                        "donor_code": "D17",
                        "release_certificate": "RC-031",
                        "cell_count": "1.3e8",
                        "viability_percent": "92",
                        "volume_ml": "100",
                        "storage_temperature_c": "4",
                        "prepared_at": "2019-08-01T07:00",
                        "expires_at": "2019-08-01T15:00",
                        "identity_checked_by": ["nurse.li", "dr.wang"],
                    },
                }
            ]
        },
    )

    visit_code: str = Field(min_length=1, max_length=32)
    weight_kg: Decimal = Field(ge=0, le=1000)
    dose_given: Decimal = Field(ge=0, le=10**15)
    started_local: str = Field(pattern=LOCAL)
    ended_local: str = Field(pattern=LOCAL)
    unit: ProductUnitIn
    reactions: list[str] = Field(default_factory=list, max_length=20)
    interruptions: list[str] = Field(default_factory=list, max_length=20)


class InfusionSaved(BaseModel):
    """The stored infusion: its id, the computed dose, the tolerance check and any custody problems."""

    exposure_id: int
    computed_dose: str
    within_tolerance: bool | None
    problems: list[str]


class TubeDispense(BaseModel):
    """A weighed tube of ointment handed to the subject."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "tube_id": "T-0101",
                    "lot": "C2019-05",
                    "expiry": "2020-05-31",
                    "weight_g": "115.0",
                    "dispensed_local": "2019-08-01",
                }
            ]
        },
    )

    tube_id: str = Field(min_length=1, max_length=64)
    lot: str = Field(min_length=1, max_length=64)
    expiry: dt.date
    weight_g: Decimal = Field(ge=0, le=500, description="The tube's weight when dispensed, g.")
    dispensed_local: str = Field(pattern=LOCAL)


class TubeReturn(BaseModel):
    """The tube weighed again when it comes back."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"weight_g": "45.0", "returned_local": "2019-08-15"}]}
    )

    weight_g: Decimal = Field(ge=0, le=500, description="The tube's weight when returned, g.")
    returned_local: str = Field(pattern=LOCAL)


class TubeAnswer(BaseModel):
    """The stored dispensing or return; for a return, the average g/week and whether it is above the limit."""

    exposure_id: int
    grams_per_week: str | None = None
    above_limit: bool | None = None
    not_computable: str | None = None
