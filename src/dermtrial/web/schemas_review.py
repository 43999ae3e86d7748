"""JSON bodies of the safety and review endpoints of ``/api/v1``: adverse events, queries, SDV, audit history,
signatures, locks and the primary endpoint. Requests are validated by pydantic (a 422 names field, value and the
allowed range); the services check the rest (terms, code lists, permissions)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dermtrial.safety.relatedness import RELATEDNESS
from dermtrial.safety.seriousness import SERIOUSNESS_CRITERIA

EXAMPLE_AE: dict[str, Any] = {
    "id": 5,
    "subject_id": 1,
    "verbatim": "itchy rash on both forearms",
    "term": "Pruritus",
    "start": "2019-08-03",
    "stop": None,
    "grade": 2,
    "serious": False,
    "seriousness": [],
    "relatedness": {"admsc": "UNLIKELY", "calcipotriol": "POSSIBLE"},
    "expectedness": {"admsc": False, "calcipotriol": True},
    "action_taken": "DOSE NOT CHANGED",
    "outcome": "RECOVERING/RESOLVING",
    "version": 2,
    "sae_reports": [],
}
Seriousness = Literal[
    "death", "life_threatening", "hospitalisation", "disability", "congenital_anomaly", "medically_important"
]  # fmt: skip
Relatedness = Literal["NOT_RELATED", "UNLIKELY", "POSSIBLE", "PROBABLE", "DEFINITE"]
assert set(Seriousness.__args__) == set(SERIOUSNESS_CRITERIA)  # type: ignore[attr-defined]
assert Relatedness.__args__ == RELATEDNESS  # type: ignore[attr-defined]


class SaeReport(BaseModel):
    """A filed SAE report and the due times it set (UTC instants, site dates)."""

    sequence: int
    aware_local: str
    site_due_at: str
    filed_at: str
    sponsor_due_date: str | None
    follow_up_due_date: str | None
    susar_products: list[str]


class AdverseEvent(BaseModel):
    """An adverse event with its relatedness per study product, expectedness (computed) and version (the ETag)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_AE]})

    id: int
    subject_id: int
    verbatim: str
    term: str | None
    start: str
    stop: str | None
    grade: int | None
    serious: bool
    seriousness: list[str]
    relatedness: dict[str, str]
    expectedness: dict[str, bool]
    action_taken: str | None
    outcome: str | None
    version: int
    sae_reports: list[SaeReport]


class AdverseEventList(BaseModel):
    """The adverse events of one subject, by onset."""

    items: list[AdverseEvent]


class AdverseEventInput(BaseModel):
    """An adverse event as entered: verbatim text, CTCAE term, dates (partial allowed), grade, seriousness, action,
    outcome."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "verbatim": "itchy rash on both forearms",
                    "term": "Pruritus",
                    "start": "2019-08-03",
                    "grade": 2,
                    "seriousness": [],
                    "action_taken": "DOSE NOT CHANGED",
                    "outcome": "RECOVERING/RESOLVING",
                }
            ]
        },
    )

    verbatim: str = Field(min_length=1, max_length=4000, description="The event as reported.")
    term: str = Field(min_length=1, max_length=200, description="The CTCAE v5.0 term.")
    start: str = Field(min_length=4, max_length=16, description="Onset, site local: YYYY, YYYY-MM or YYYY-MM-DD.")
    stop: str | None = Field(default=None, min_length=4, max_length=16, description="End, site local; null: ongoing.")
    grade: int = Field(ge=1, le=5, description="CTCAE grade.")
    seriousness: list[Seriousness] = Field(default_factory=list, description="ICH E2A criteria met (serious if any).")
    action_taken: str | None = Field(default=None, max_length=64, description="Action with study treatment.")
    outcome: str | None = Field(default=None, max_length=64, description="Outcome (protocol code list).")


class AdverseEventChange(AdverseEventInput):
    """A correction of an event: all its fields and the reason; send the version read as ``If-Match``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"verbatim": "itchy rash", "term": "Pruritus", "start": "2019-08-03", "stop": "2019-08-10",
                 "grade": 1, "outcome": "RECOVERED/RESOLVED", "reason": "grade corrected from source"}
            ]
        },
    )  # fmt: skip

    reason: str = Field(min_length=1, max_length=4000, description="Why the data change (audit trail).")


class CausalityInput(BaseModel):
    """Relatedness of the event to every study product (product id → category)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"relatedness": {"admsc": "UNLIKELY", "calcipotriol": "POSSIBLE"}}]},
    )

    relatedness: dict[str, Relatedness] = Field(description="Study product id → relatedness category.")


class SaeReportInput(BaseModel):
    """The initial SAE report or a follow-up: when the site learned of it (site local) and the narrative."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"aware_local": "2019-08-05T09:30", "narrative": "Admitted for cellulitis."}]},
    )

    aware_local: str = Field(min_length=16, max_length=19, description="Site local time: YYYY-MM-DDTHH:MM.")
    narrative: str = Field(min_length=1, max_length=20000, description="The case narrative or the new information.")


EXAMPLE_QUERY: dict[str, Any] = {
    "id": 7,
    "version": 1,
    "site": "GZ01",
    "subject_id": 1,
    "entity_type": "form_instance",
    "entity_id": 12,
    "field": "PULSE",
    "status": "open",
    "origin": "manual",
    "text": "Please confirm the pulse against the source.",
    "opened_at": "2019-08-02T03:00:00Z",
    "closed_at": None,
    "age_days": 3,
    "messages": [{"action": "raise", "text": "Please confirm ...", "username": "mon", "at": "2019-08-02T03:00:00Z"}],
}


class QueryMessage(BaseModel):
    """One step of a query's thread."""

    action: str
    text: str
    username: str | None
    at: str


class Query(BaseModel):
    """A data clarification query, with its age in whole days and its thread."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_QUERY]})

    id: int
    version: int
    site: str
    subject_id: int
    entity_type: str
    entity_id: int
    field: str | None
    status: str
    origin: str
    text: str
    opened_at: str
    closed_at: str | None
    age_days: int
    messages: list[QueryMessage]


class QueryPage(BaseModel):
    """One page of queries, oldest first."""

    items: list[Query]
    page: int
    per_page: int
    total: int
    next: str | None


class QueryInput(BaseModel):
    """Raise a query on a record (``field``: a form item code; null: the whole record)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"entity_type": "form_instance", "entity_id": 12, "field": "PULSE", "text": "Please confirm."}]
        },
    )

    entity_type: str = Field(min_length=1, max_length=32, description="The record's table (form_instance …).")
    entity_id: int = Field(ge=1, le=2**31 - 1, description="The record's id.")
    field: str | None = Field(default=None, max_length=64, description="The item, or null for the whole record.")
    text: str = Field(min_length=1, max_length=4000, description="The question.")


class QueryStep(BaseModel):
    """The text of an answer, a closing note or why a query is re-opened."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "72 confirmed in source."}]})

    text: str = Field(min_length=1, max_length=4000, description="The answer or note.")


class SdvInput(BaseModel):
    """Set the SDV status of a whole form (``item`` null) or one item; withdrawing needs a reason."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "verified", "item": "PULSE"}]})

    status: Literal["verified", "not-verified"] = Field(description="The new status.")
    item: str | None = Field(default=None, max_length=64, description="An item code, or null for the whole form.")
    reason: str | None = Field(default=None, max_length=4000, description="Required when withdrawing.")


class Sdv(BaseModel):
    """The SDV status of a form and of its items verified one by one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"form_id": 12, "status": "partially-verified", "items": {"PULSE": "verified"}}]
        }
    )

    form_id: int
    status: str
    items: dict[str, str]


class HistoryRow(BaseModel):
    """One audited change: when (UTC), who (and their role), what field, old → new, and why."""

    at: str
    event_type: str
    username: str | None
    role: str | None
    field: str | None
    old: Any
    new: Any
    reason: str | None


class History(BaseModel):
    """The audit history of a record (or of one form item), oldest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [{"at": "2019-08-02T03:00:00Z", "event_type": "update", "username": "nurse.li",
                            "role": "coordinator", "field": "item_values.PULSE", "old": "72", "new": "74",
                            "reason": "transcription error"}]}
            ]
        }
    )  # fmt: skip

    items: list[HistoryRow]


Meaning = Literal["authored", "reviewed", "approved"]


class SignatureInput(BaseModel):
    """Sign a record: its table and id, the meaning and the signer's password, re-entered."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"entity_type": "form_instance", "entity_id": 12, "meaning": "approved", "password": "…"}]
        },
    )

    entity_type: str = Field(min_length=1, max_length=32, description="The record's table.")
    entity_id: int = Field(ge=1, le=2**31 - 1, description="The record's id.")
    meaning: Meaning = Field(description="What the signature means.")
    password: str = Field(min_length=1, max_length=256, description="The signer's password.")


class Signature(BaseModel):
    """A signature as shown with the record: who, when (UTC), meaning, valid or why not."""

    id: int
    signer_name: str
    username: str
    meaning: str
    signed_at: str
    entity_version: int
    valid: bool
    manifestation: str


class SignatureList(BaseModel):
    """Every signature of a record, valid and invalid, oldest first."""

    items: list[Signature]


class LockInput(BaseModel):
    """Lock or unlock a form, a visit or a subject (an unlock needs a reason)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"level": "visit", "entity_id": 4, "reason": "cleaned"}]}
    )

    level: Literal["form", "visit", "subject"] = Field(description="What is locked.")
    entity_id: int = Field(ge=1, le=2**31 - 1, description="The form's, visit's or subject's id.")
    reason: str | None = Field(default=None, max_length=4000, description="Why (required to unlock).")


class Lock(BaseModel):
    """A lock in force."""

    id: int
    level: str
    entity_id: int | None
    locked_at: str
    locked_by: str
    reason: str | None


class LockList(BaseModel):
    """The locks in force on a record (its own and those above it)."""

    items: list[Lock]
