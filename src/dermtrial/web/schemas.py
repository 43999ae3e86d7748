"""JSON bodies of ``/api/v1``: requests validated by pydantic (every 422 names field, value and allowed range) and
responses documented with examples in the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EXAMPLE_SUBJECT: dict[str, Any] = {
    "id": 1,
    "site": "GZ01",
    "screening_number": "GZ01-S001",
    "subject_number": "GZ01-E01",
    "status": "enrolled",
    "arm": "ADMSC",
    "enrolled_on": "2019-07-25",
    "version": 3,
}
EXAMPLE_FORM: dict[str, Any] = {
    "id": 12,
    "subject_id": 1,
    "visit_id": 4,
    "visit_code": "week12",
    "form_code": "VS",
    "form_version": "1",
    "status": "in-progress",
    "item_values": {"WEIGHT": "62.5"},
    "derived": None,
    "version": 2,
}


class Subject(BaseModel):
    """A subject: numbers, site, study status and the version (also sent as the ETag)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_SUBJECT]})

    id: int
    site: str
    screening_number: str
    subject_number: str | None
    status: str
    arm: str | None
    enrolled_on: str | None
    version: int


class SubjectPage(BaseModel):
    """One page of subjects; ``next`` is the URL of the next page or null on the last."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [EXAMPLE_SUBJECT], "page": 1, "per_page": 50, "total": 1, "next": None}]
        }
    )

    items: list[Subject]
    page: int
    per_page: int
    total: int
    next: str | None


class Form(BaseModel):
    """A form instance with its item values, derived result (scored instruments) and version (the ETag)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_FORM]})

    id: int
    subject_id: int
    visit_id: int | None
    visit_code: str | None
    form_code: str
    form_version: str
    status: str
    item_values: dict[str, Any]
    derived: dict[str, Any] | None
    version: int


class Visit(BaseModel):
    """A visit of a subject with its saved forms."""

    id: int
    visit_code: str
    repeat: int
    status: str
    visit_local: str | None
    forms: list[Form]


class VisitList(BaseModel):
    """The visits of one subject in schedule order."""

    items: list[Visit]


EntryStatus = Literal["in-progress", "complete", "not-done"]


class FormCreate(BaseModel):
    """First entry of a form: the protocol's form code, the visit (null for log forms) and the item values."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"form_code": "VS", "visit_id": 4, "status": "in-progress", "item_values": {"WEIGHT": "62.5"}}]
        },
    )

    form_code: str = Field(min_length=1, max_length=32, description="The form's code in the protocol (``VS``).")
    visit_id: int | None = Field(default=None, ge=1, description="The visit (from the subject's visits).")
    status: EntryStatus = Field(default="in-progress", description="The entry status the save sets.")
    item_values: dict[str, Any] = Field(description="Item code → value; numbers as text keep their precision.")


class FormChange(BaseModel):
    """A change to a saved form: the items to change (null clears one), the status and the reason.

    Send the version you read as ``If-Match: "<version>"``; a stale one is answered 412.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"item_values": {"WEIGHT": "63.0"}, "status": "complete", "reason": "transcription error"}]
        },
    )

    item_values: dict[str, Any] = Field(default_factory=dict, description="Items to change.")
    status: EntryStatus = Field(default="in-progress", description="The entry status after the change.")
    reason: str = Field(min_length=1, max_length=4000, description="Why the data change (kept in the audit trail).")


class Me(BaseModel):
    """The user the token acts as."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": 3, "username": "nurse.li", "full_name": "Li Na"}]})

    id: int
    username: str
    full_name: str


class ErrorDetail(BaseModel):
    """The one error shape: status, code, message and, when known, the field, the value given and what is allowed."""

    status: int
    code: str
    message: str
    field: str | None = None
    value: Any = None
    allowed: str | None = None
    problems: list[dict[str, Any]] | None = None


class Error(BaseModel):
    """Every error answer: ``{"error": {...}}``."""

    error: ErrorDetail


def error_example(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    """An OpenAPI response entry for an error, with an example."""
    return {
        "model": Error,
        "content": {
            "application/json": {"example": {"error": {"status": status, "code": code, "message": message, **extra}}}
        },
    }


ERRORS: dict[int | str, dict[str, Any]] = {
    401: error_example(401, "unauthenticated", "authorization: unknown API token"),
    403: error_example(403, "forbidden", 'permission: user "mon" may not form.write at site GZ01'),
    404: error_example(404, "not-found", "subject_id: no subject 99", field="subject_id", value=99),
    422: error_example(
        422,
        "invalid-input",
        "per_page: 500 is not allowed: must be <= 200",
        field="per_page",
        value=500,
        allowed="1–200",
    ),
}
