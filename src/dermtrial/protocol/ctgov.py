"""Import a ClinicalTrials.gov API v2 study record as a draft protocol file.

The record states the identity, design, arms, interventions, outcomes and eligibility text of a trial; it
does not state what dermtrial needs to *run* it (criterion rules, the visit schedule, forms, endpoint
derivations, often the dose). :func:`draft_from_record` fills in everything the record states, verbatim,
and lists everything else under ``to_complete``, so that ``dermtrial protocol validate`` reports the draft
as incomplete (exit 1), never as valid.

Values the record gives only in free text (route, frequency, dose and duration inside an intervention
description) are read where the wording is unambiguous, and every such value is *also* listed under
``to_complete`` as "read from free text, confirm". Where a required field cannot be read at all, a
placeholder is written and listed there too.

Pure: the caller passes the JSON text (:func:`parse_record`) or the parsed record; nothing here reads a file
or the clock. Public surface: :func:`parse_record`, :func:`draft_from_record`, :func:`draft_yaml`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from dermtrial.errors import InvalidInput, Path, Problem
from dermtrial.protocol.model import FORMAT_VERSION

__all__ = ["DRAFT_VERSION", "draft_from_record", "draft_yaml", "parse_record"]

DRAFT_VERSION = "0.1-draft"
"""The ``version`` of every imported draft."""

NOT_A_RECORD = "required field is missing: this is not a ClinicalTrials.gov API v2 study record"

# The zone of the official national time, for countries whose civil time is one zone everywhere (IANA tz
# database names, tzdata). Countries spanning several zones (United States, Canada, Russia, Brazil,
# Australia, Mexico, Indonesia, Spain, Portugal …) are left out on purpose: the importer asks instead.
SINGLE_ZONE_COUNTRIES: dict[str, str] = {
    "austria": "Europe/Vienna",
    "belgium": "Europe/Brussels",
    "bulgaria": "Europe/Sofia",
    "china": "Asia/Shanghai",
    "czechia": "Europe/Prague",
    "czech republic": "Europe/Prague",
    "denmark": "Europe/Copenhagen",
    "egypt": "Africa/Cairo",
    "finland": "Europe/Helsinki",
    "france": "Europe/Paris",
    "germany": "Europe/Berlin",
    "greece": "Europe/Athens",
    "hong kong": "Asia/Hong_Kong",
    "hungary": "Europe/Budapest",
    "india": "Asia/Kolkata",
    "ireland": "Europe/Dublin",
    "israel": "Asia/Jerusalem",
    "italy": "Europe/Rome",
    "japan": "Asia/Tokyo",
    "korea, republic of": "Asia/Seoul",
    "netherlands": "Europe/Amsterdam",
    "norway": "Europe/Oslo",
    "poland": "Europe/Warsaw",
    "romania": "Europe/Bucharest",
    "singapore": "Asia/Singapore",
    "sweden": "Europe/Stockholm",
    "switzerland": "Europe/Zurich",
    "taiwan": "Asia/Taipei",
    "thailand": "Asia/Bangkok",
    "turkey": "Europe/Istanbul",
    "united kingdom": "Europe/London",
}

_KINDS = {"BIOLOGICAL", "DRUG", "DEVICE", "PROCEDURE", "DIETARY_SUPPLEMENT", "OTHER"}
_SCHEDULED_ROUTES = {"INTRAVENOUS", "SUBCUTANEOUS", "INTRAMUSCULAR", "INTRADERMAL"}


# --------------------------------------------------------------------------------------------- reading JSON


def parse_record(text: str, source: str) -> dict[str, Any]:
    """Parse the JSON text of one v2 study record.

    Raises :class:`InvalidInput` with the line and column of malformed JSON, or naming the missing path of a
    JSON document that is not a v2 study record (no ``protocolSection``, no ``identificationModule.nctId``).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem((), f"malformed JSON: {exc.msg}", source=source, line=exc.lineno, column=exc.colno)
        raise InvalidInput([problem]) from exc
    _check_record(data, source)
    return dict(data)


def _check_record(data: Any, source: str | None) -> None:
    if not isinstance(data, Mapping):
        raise InvalidInput([Problem((), "a ClinicalTrials.gov API v2 study record is a JSON object", source=source)])
    section = data.get("protocolSection")
    if not isinstance(section, Mapping):
        raise InvalidInput([Problem(("protocolSection",), NOT_A_RECORD, source=source)])
    ident = section.get("identificationModule")
    nct_path: Path = ("protocolSection", "identificationModule", "nctId")
    nct = ident.get("nctId") if isinstance(ident, Mapping) else None
    if nct is None:
        raise InvalidInput([Problem(nct_path, NOT_A_RECORD, source=source)])
    if not isinstance(nct, str) or not re.fullmatch(r"NCT\d{8}", nct):
        message = f"{json.dumps(nct)} is not allowed: expected an NCT number such as NCT03392311"
        raise InvalidInput([Problem(nct_path, message, source=source, value=nct)])


class _Record:
    """Typed access to the record: a value of the wrong JSON type is bad input naming its path."""

    def __init__(self, record: Mapping[str, Any], prefix: Path = ()) -> None:
        self.root = record
        self.prefix = prefix

    def _get(self, path: Path) -> Any:
        node: Any = self.root
        for key in path:
            if not isinstance(node, Mapping):
                return None
            node = node.get(str(key))
        return node

    def _wrong(self, path: Path, value: Any, expected: str) -> InvalidInput:
        shown = json.dumps(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return InvalidInput([Problem((*self.prefix, *path), f"{shown} is not allowed: expected {expected}")])

    def text(self, *path: str | int) -> str | None:
        value = self._get(path)
        if value is None or isinstance(value, str):
            return value
        raise self._wrong(path, value, "text")

    def texts(self, *path: str | int) -> list[str]:
        value = self._get(path)
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return list(value)
        raise self._wrong(path, value, "a list of texts")

    def objects(self, *path: str | int) -> list[_Record]:
        value = self._get(path)
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
            return [_Record(item, (*self.prefix, *path, index)) for index, item in enumerate(value)]
        raise self._wrong(path, value, "a list of objects")

    def child(self, *path: str | int) -> _Record:
        value = self._get(path)
        if value is None:
            return _Record({}, (*self.prefix, *path))
        if isinstance(value, Mapping):
            return _Record(value, (*self.prefix, *path))
        raise self._wrong(path, value, "an object")

    def scalar(self, *path: str | int) -> Any:
        return self._get(path)


# ---------------------------------------------------------------------------------------- the draft mapping


@dataclass
class _Draft:
    """What the importer collects besides the mapping itself."""

    to_complete: list[dict[str, str]] = field(default_factory=list)
    assumptions: list[dict[str, str]] = field(default_factory=list)

    def todo(self, path: str, reason: str) -> None:
        self.to_complete.append({"path": path, "reason": reason})


def draft_from_record(record: dict[str, Any]) -> dict[str, Any]:
    """The protocol-file mapping of a v2 study record: its facts verbatim, the rest in ``to_complete``."""
    _check_record(record, None)
    rec = _Record(record)
    draft = _Draft()
    interventions = _interventions(rec, draft)
    out: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "version": DRAFT_VERSION,
        "effective_date": _effective_date(rec, draft),
        "identity": _identity(rec, draft),
        "design": _design(rec),
        "arms": _arms(rec, interventions, draft),
        "interventions": [spec for _, spec in interventions],
        "visits": [],
        "endpoints": _endpoints(rec, draft),
        "eligibility": _eligibility(rec.child("protocolSection", "eligibilityModule"), draft),
    }
    draft.todo("visits", "the record has no visit schedule: add every visit with its offset_days, window and forms")
    draft.todo("forms", "the record names no case report forms: declare the forms each visit collects")
    draft.todo("populations", "the record defines no analysis populations: declare them (enrolled, fas, safety …)")
    if draft.assumptions:
        out["assumptions"] = draft.assumptions
    out["to_complete"] = _sorted_todos(draft.to_complete)
    return out


_TODO_ORDER = [
    "effective_date",
    "identity",
    "arms",
    "interventions",
    "visits",
    "forms",
    "populations",
    "endpoints",
    "eligibility",
]


def _sorted_todos(items: list[dict[str, str]]) -> list[dict[str, str]]:
    """In the order of the file (stable within a section)."""
    rank = {name: index for index, name in enumerate(_TODO_ORDER)}
    return sorted(items, key=lambda item: rank.get(item["path"].split(".")[0], len(_TODO_ORDER)))


def _effective_date(rec: _Record, draft: _Draft) -> dt.date:
    status = ("protocolSection", "statusModule")
    candidates = [
        ("last update", rec.text(*status, "lastUpdatePostDateStruct", "date")),
        ("study start", rec.text(*status, "startDateStruct", "date")),
    ]
    for label, value in candidates:
        if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            draft.todo("effective_date", f"set to the record's {label} ({value}): give the date this version applies")
            return dt.date.fromisoformat(value)
    for label, value in candidates:
        if value and re.fullmatch(r"\d{4}-\d{2}", value):
            draft.todo("effective_date", f"the record's {label} has no day ({value}); the 1st was used: correct it")
            return dt.date.fromisoformat(f"{value}-01")
    path = "protocolSection.statusModule.lastUpdatePostDateStruct.date"
    raise InvalidInput([Problem(tuple(path.split(".")), "required field is missing: a draft needs a dated record")])


def _registry_date(rec: _Record, key: str) -> dict[str, Any] | None:
    date = rec.text("protocolSection", "statusModule", key, "date")
    if date is None:
        return None
    out: dict[str, Any] = {"date": date}
    kind = rec.text("protocolSection", "statusModule", key, "type")
    if kind is not None:
        out["type"] = kind
    return out


def _identity(rec: _Record, draft: _Draft) -> dict[str, Any]:
    ident = ("protocolSection", "identificationModule")
    status = ("protocolSection", "statusModule")
    sponsor = rec.text("protocolSection", "sponsorCollaboratorsModule", "leadSponsor", "name")
    if sponsor is None:
        sponsor = rec.text(*ident, "organization", "fullName")
    out: dict[str, Any] = {
        "registry_id": rec.text(*ident, "nctId"),
        "sponsor_code": rec.text(*ident, "orgStudyIdInfo", "id"),
        "brief_title": rec.text(*ident, "briefTitle"),
        "official_title": rec.text(*ident, "officialTitle"),
        "acronym": rec.text(*ident, "acronym"),
        "summary": _unescape(rec.text("protocolSection", "descriptionModule", "briefSummary")),
        "sponsor": sponsor,
        "conditions": rec.texts("protocolSection", "conditionsModule", "conditions"),
        "keywords": rec.texts("protocolSection", "conditionsModule", "keywords"),
        "overall_status": rec.text(*status, "overallStatus"),
        "start": _registry_date(rec, "startDateStruct"),
        "primary_completion": _registry_date(rec, "primaryCompletionDateStruct"),
        "completion": _registry_date(rec, "completionDateStruct"),
        "last_update": rec.text(*status, "lastUpdatePostDateStruct", "date"),
        "sites": _sites(rec, draft),
    }
    return {key: value for key, value in out.items() if value not in (None, [])}


def _sites(rec: _Record, draft: _Draft) -> list[dict[str, Any]]:
    sites: list[dict[str, Any]] = []
    used: set[str] = set()
    for index, loc in enumerate(rec.objects("protocolSection", "contactsLocationsModule", "locations")):
        name = loc.text("facility") or loc.text("city") or f"Site {index + 1}"
        site_id = _unique(_initials(name) or f"site{index + 1}", used)
        site: dict[str, Any] = {"id": site_id, "name": name}
        for key in ("city", "country"):
            if loc.text(key) is not None:
                site[key] = loc.text(key)
        country = loc.text("country")
        zone = SINGLE_ZONE_COUNTRIES.get((country or "").strip().casefold())
        path = f"identity.sites.{site_id}.timezone"
        if zone is None:
            where = f"country {country!r} has several time zones" if country else "the record gives no country"
            draft.todo(path, f"the record has no time zone and {where}: give the site's IANA zone")
        else:
            site["timezone"] = zone
            draft.assumptions.append({"path": path, "note": f"the record has no time zone; {zone} is {country}'s"})
        sites.append(site)
    return sites


def _design(rec: _Record) -> dict[str, Any]:
    design = ("protocolSection", "designModule")
    info = (*design, "designInfo")
    out: dict[str, Any] = {
        "study_type": rec.text(*design, "studyType"),
        "phases": rec.texts(*design, "phases"),
        "allocation": rec.text(*info, "allocation"),
        "intervention_model": rec.text(*info, "interventionModel"),
        "primary_purpose": rec.text(*info, "primaryPurpose"),
        "masking": rec.text(*info, "maskingInfo", "masking"),
    }
    enrollment: dict[str, Any] = {}
    count = rec.scalar(*design, "enrollmentInfo", "count")
    if count is not None:
        enrollment["count"] = count
    kind = rec.text(*design, "enrollmentInfo", "type")
    if kind is not None:
        enrollment["type"] = kind
    out["enrollment"] = enrollment
    return {key: value for key, value in out.items() if value is not None}


# ----------------------------------------------------------------------------------- arms and interventions


def _interventions(rec: _Record, draft: _Draft) -> list[tuple[_Record, dict[str, Any]]]:
    used: set[str] = set()
    out: list[tuple[_Record, dict[str, Any]]] = []
    for item in rec.objects("protocolSection", "armsInterventionsModule", "interventions"):
        name = item.text("name") or ""
        other_names = item.texts("otherNames")
        candidates = [_slug(n) for n in [name, *other_names] if len(_slug(n)) >= 3]
        ident = _unique(min(candidates, key=len) if candidates else "intervention", used)
        kind = item.text("type") or "OTHER"
        spec: dict[str, Any] = {"id": ident, "name": name, "kind": kind if kind in _KINDS else "OTHER"}
        if kind not in _KINDS:
            draft.todo(
                f"interventions.{ident}.kind",
                f"the record's type {kind} is not a kind of the format; OTHER was used",
            )
        description = item.text("description")
        if description is not None:
            spec["description"] = description
        if other_names:
            spec["other_names"] = other_names
        spec.update(_read_administration(f"{description or ''} {name}", ident, draft))
        out.append((item, spec))
    return out


def _arms(rec: _Record, interventions: list[tuple[_Record, dict[str, Any]]], draft: _Draft) -> list[dict[str, Any]]:
    used: set[str] = set()
    arms: list[dict[str, Any]] = []
    by_name = {(_norm(item.text("type") or ""), _norm(spec["name"])): spec["id"] for item, spec in interventions}
    by_plain_name = {_norm(spec["name"]): spec["id"] for _, spec in interventions}
    for group in rec.objects("protocolSection", "armsInterventionsModule", "armGroups"):
        label = group.text("label") or ""
        arm_id = _unique(_slug(label, limit=40) or "arm", used)
        refs: list[str] = []
        for entry in group.texts("interventionNames"):
            kind, sep, name = entry.partition(":")
            ident = by_name.get((_norm(kind), _norm(name))) if sep else None
            ident = ident or by_plain_name.get(_norm(name if sep else entry))
            if ident is None:
                draft.todo(f"arms.{arm_id}.interventions", f'"{entry}" names no intervention of the record')
            elif ident not in refs:
                refs.append(ident)
        for item, spec in interventions:  # the reverse link, interventions[].armGroupLabels
            if label in item.texts("armGroupLabels") and spec["id"] not in refs:
                refs.append(spec["id"])
        arm: dict[str, Any] = {"id": arm_id, "label": label}
        for key in ("type", "description"):
            if group.text(key) is not None:
                arm[key] = group.text(key)
        arm["interventions"] = refs
        if not refs:
            draft.todo(f"arms.{arm_id}.interventions", "the record links no intervention to this arm")
        arms.append(arm)
    if not arms:
        draft.todo("arms", "the record has no arm groups: declare the arms and their interventions")
    if not interventions:
        draft.todo("interventions", "the record has no interventions: declare them")
    return arms


_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("INTRAVENOUS", re.compile(r"\bintravenous(?:ly)?\b|\bi\.v\.|\binfus(?:ed|ion|ions)\b", re.I)),
    ("SUBCUTANEOUS", re.compile(r"\bsubcutaneous(?:ly)?\b", re.I)),
    ("INTRAMUSCULAR", re.compile(r"\bintramuscular(?:ly)?\b", re.I)),
    ("INTRADERMAL", re.compile(r"\bintradermal(?:ly)?\b", re.I)),
    ("TOPICAL", re.compile(r"\btopical(?:ly)?\b|\bointments?\b|\bcreams?\b", re.I)),
    ("ORAL", re.compile(r"\boral(?:ly)?\b|\bos\b|\bgranules?\b|\btablets?\b|\bcapsules?\b", re.I)),
)
# The first pattern that matches wins, so "twice daily" is BID before "daily" can be QD.
_FREQUENCIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("BID", re.compile(r"\btwice (?:a |per )?day\b|\btwice daily\b|(?-i:\bBID\b)|\bb\.i\.d\b", re.I)),
    ("TID", re.compile(r"\bthree times (?:a |per )?day\b|\bthree times daily\b|(?-i:\bTID\b)", re.I)),
    ("QD", re.compile(r"\bonce (?:a |per )?day\b|\bonce daily\b|(?-i:\bQD\b)|\bdaily\b", re.I)),
    ("QW", re.compile(r"\bonce (?:a |per )?week\b|\bweekly\b", re.I)),
    ("Q2W", re.compile(r"\bevery (?:2|two) weeks\b", re.I)),
    ("Q4W", re.compile(r"\bevery (?:4|four) weeks\b", re.I)),
    ("PRN", re.compile(r"\bas needed\b|(?-i:\bPRN\b)", re.I)),
)
_DURATION = re.compile(r"\bfor\s+(\d+(?:\.\d+)?)\s*(day|week|month)s?\b", re.I)
_NUMBER = r"(\d+(?:\.\d+)?)"
_CELLS_PER_KG = re.compile(_NUMBER + r"\s*(million|[x×]\s*10\^?(\d+))\s*cells?\s*/\s*kg\b", re.I)
_AMOUNT = re.compile(_NUMBER + r"\s*(mg|g|µg|ug|mcg|mL|ml)\s*(/\s*kg\b)?(?![A-Za-z/])")
_UNITS = {"mg": "mg", "g": "g", "µg": "ug", "ug": "ug", "mcg": "ug", "ml": "mL", "mL": "mL"}
_BARE_DOSE = re.compile(r"\bdose\b[^.;]*?\d")


def _confirm(draft: _Draft, path: str, snippet: str, value: Any) -> None:
    draft.todo(path, f'read from free text, confirm: "{snippet.strip()}" gives {value}')


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _read_administration(text: str, ident: str, draft: _Draft) -> dict[str, Any]:
    """Route, frequency, dose and duration read from an intervention's free text, each flagged to confirm."""
    base = f"interventions.{ident}"
    out: dict[str, Any] = {}
    routes = {route: match for route, pattern in _ROUTES if (match := pattern.search(text))}
    if len(routes) == 1:
        ((route, match),) = routes.items()
        out["route"] = route
        _confirm(draft, f"{base}.route", match.group(0), route)
    else:
        why = f"mentions several routes ({', '.join(routes)})" if routes else "states no route"
        draft.todo(f"{base}.route", f"the record {why}: give the route")
    frequency = next(((name, m) for name, pattern in _FREQUENCIES if (m := pattern.search(text))), None)
    if frequency is not None:
        out["frequency"] = frequency[0]
        _confirm(draft, f"{base}.frequency", frequency[1].group(0), frequency[0])
    else:
        draft.todo(f"{base}.frequency", "the record states no frequency: give it")
    dose = _read_dose(text)
    if dose is not None:
        out["dose"], snippet = dose
        _confirm(draft, f"{base}.dose", snippet, f"{out['dose']['amount']} {out['dose']['unit']}")
    elif _BARE_DOSE.search(text):
        draft.todo(f"{base}.dose", "the record gives a dose without a unit that can be read: give amount and unit")
    elif out.get("route") != "TOPICAL":
        draft.todo(f"{base}.dose", "the record states no dose: give amount and unit")
    if (duration := _DURATION.search(text)) is not None:
        out["duration"] = {"amount": _number(duration.group(1)), "unit": duration.group(2).lower()}
        _confirm(draft, f"{base}.duration", duration.group(0), f"{duration.group(1)} {duration.group(2).lower()}")
    if out.get("route") in _SCHEDULED_ROUTES:
        draft.todo(f"{base}.administered_at", "the record does not say at which visits it is given")
    return out


def _read_dose(text: str) -> tuple[dict[str, Any], str] | None:
    if (cells := _CELLS_PER_KG.search(text)) is not None:
        factor = 1e6 if cells.group(2).lower() == "million" else 10.0 ** int(cells.group(3))
        dose = {"amount": float(cells.group(1)) * factor, "unit": "cell/kg", "basis": "body_weight"}
        return dose, cells.group(0)
    if (amount := _AMOUNT.search(text)) is not None:
        unit = _UNITS[amount.group(2)]
        per_kg = amount.group(3) is not None
        dose = {"amount": _number(amount.group(1)), "unit": f"{unit}/kg" if per_kg else unit}
        if per_kg:
            dose["basis"] = "body_weight"
        return dose, amount.group(0)
    return None


# ------------------------------------------------------------------------------------------------ endpoints


def _endpoints(rec: _Record, draft: _Draft) -> list[dict[str, Any]]:
    endpoints: list[dict[str, Any]] = []
    ranks = (
        ("primary", "primaryOutcomes"),
        ("secondary", "secondaryOutcomes"),
        ("secondary", "otherOutcomes"),
    )
    counts = {"primary": 0, "secondary": 0}
    for rank, key in ranks:
        for outcome in rec.objects("protocolSection", "outcomesModule", key):
            counts[rank] += 1
            ident = f"{rank}-{counts[rank]}"
            measure = outcome.text("measure")
            if measure is None:
                draft.todo(f"endpoints.{ident}", f"the record's {key} entry has no measure: give its title")
            endpoint: dict[str, Any] = {"id": ident, "type": rank, "title": measure or ""}
            for target, source in (("description", "description"), ("time_frame", "timeFrame")):
                if outcome.text(source) is not None:
                    endpoint[target] = outcome.text(source)
            endpoints.append(endpoint)
            note = " (registered as an other outcome, ranked secondary here)" if key == "otherOutcomes" else ""
            draft.todo(
                f"endpoints.{ident}",
                f"give its derivation, instrument and timepoint; the record states none{note}",
            )
    return endpoints


# ---------------------------------------------------------------------------------------------- eligibility


def _eligibility(module: _Record, draft: _Draft) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for target, source in (("minimum_age", "minimumAge"), ("maximum_age", "maximumAge")):
        text = module.text(source)
        if text is None:
            continue
        years = re.fullmatch(r"\s*(\d+)\s+Years?\s*", text, re.I)
        if years:
            out[target] = int(years.group(1))
        else:
            draft.todo(f"eligibility.{target}", f'the record gives "{text}"; the format takes whole years')
    if module.text("sex") is not None:
        out["sex"] = module.text("sex")
    healthy = module.scalar("healthyVolunteers")
    if healthy is not None:
        out["healthy_volunteers"] = healthy
    text = module.text("eligibilityCriteria")
    if text is None:
        draft.todo("eligibility", "the record has no eligibility criteria text: state the criteria")
        return out
    inclusion, exclusion, notes = _split_criteria(text)
    out["inclusion"] = inclusion
    out["exclusion"] = exclusion
    for group, criteria in (("inclusion", inclusion), ("exclusion", exclusion)):
        if criteria:
            ids = f"{criteria[0]['id']}–{criteria[-1]['id']}" if len(criteria) > 1 else criteria[0]["id"]
            draft.todo(
                f"eligibility.{group}",
                f"{ids} are imported unclassified: give each its kind (computed, recorded_fact or "
                "investigator_judgement) with its rule or attestation, and the inputs the rules use",
            )
    for path, reason in notes:
        draft.todo(path, reason)
    return out


_HEADER = re.compile(r"^\s*(?:key\s+)?(inclusion|exclusion)\s+criteria\s*(?::\s*(.*))?$", re.I)
_NUMBERED = re.compile(r"^(\s*)(\d{1,3})[.)]\s+(\S.*)$")
_BULLET = re.compile(r"^(\s*)[*\-•+]\s+(\S.*)$")


@dataclass
class _Item:
    number: int | None
    lines: list[str]
    heading: str | None


def _split_criteria(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[str, str]]]:
    """Split registry eligibility text into inclusion and exclusion criteria, one per list item.

    Numbered (``1.``, ``1)``) and bulleted (``*``, ``-``, ``•``) lists are recognised; lines that continue an
    item (wrapped, or indented sub-lists) are joined to it with single spaces. Each criterion keeps the item's
    wording (markdown escapes such as ``\\>`` undone), its registered number (its position for bullets) and an
    id ``I1`` … / ``E1`` …. Returns both lists and ``(path, reason)`` notes on what could not be split.
    """
    sections: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    preamble: list[str] = []
    current: list[str] = preamble
    found = False
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            found = True
            current = sections[header.group(1).lower()]
            if header.group(2):
                current.append(header.group(2))
        else:
            current.append(line)
    notes: list[tuple[str, str]] = []
    if any(line.strip() for line in preamble):
        where = "before the Inclusion Criteria heading" if found else "without Inclusion/Exclusion headings"
        notes.append(("eligibility.inclusion", f"the record has criteria text {where}; it was kept as inclusion"))
        sections["inclusion"] = preamble + sections["inclusion"]
    result = []
    for group, prefix in (("inclusion", "I"), ("exclusion", "E")):
        criteria, group_notes = _criteria(_items(sections[group]), prefix, group)
        result.append(criteria)
        notes += group_notes
    return result[0], result[1], notes


def _marker(line: str) -> tuple[int, str, int | None, str] | None:
    """(indent, kind, number, text) of a list-item line, or None."""
    if (numbered := _NUMBERED.match(line)) is not None:
        return len(numbered.group(1)), "numbered", int(numbered.group(2)), numbered.group(3)
    if (bullet := _BULLET.match(line)) is not None:
        return len(bullet.group(1)), "bullet", None, bullet.group(2)
    return None


def _items(lines: list[str]) -> list[_Item]:
    items: list[_Item] = []
    base: tuple[int, str] | None = None
    current: _Item | None = None
    heading: str | None = None
    after_blank = False
    for line in lines:
        if not line.strip():
            after_blank = True
            continue
        indent = len(line) - len(line.lstrip())
        marker = _marker(line)
        if marker is not None and (base is None or (marker[1] == base[1] and marker[0] <= base[0])):
            base = base or (marker[0], marker[1])
            current = _Item(marker[2], [marker[3].strip()], heading)
            items.append(current)
        elif current is not None and (not after_blank or (base is not None and indent > base[0])):
            current.lines.append(line.strip())
        elif line.strip().endswith(":"):
            heading, current = line.strip(), None
        else:
            current = _Item(None, [line.strip()], heading)
            items.append(current)
        after_blank = False
    return items


def _criteria(items: list[_Item], prefix: str, group: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    criteria: list[dict[str, Any]] = []
    notes: list[tuple[str, str]] = []
    listed = any(item.number is not None for item in items) or len(items) > 1
    for position, item in enumerate(items, start=1):
        ident = f"{prefix}{position}"
        criterion: dict[str, Any] = {
            "id": ident,
            "number": item.number if item.number is not None else position,
            "text": _unescape(" ".join(item.lines)) or "",
            "kind": "unclassified",
        }
        if item.heading is not None:
            criterion["note"] = f"registered under the heading {item.heading!r}"
        criteria.append(criterion)
        if not listed:
            notes.append((f"eligibility.{group}.{ident}", "the text is not a list: split it into criteria"))
    return criteria, notes


# ------------------------------------------------------------------------------------------------ YAML text


def draft_yaml(record: dict[str, Any]) -> str:
    """The draft as protocol-file YAML, headed by a comment saying where it came from and what to complete."""
    draft = draft_from_record(record)
    identity = draft["identity"]
    updated = identity.get("last_update", "an unknown date")
    header = [
        f"# DRAFT protocol imported from ClinicalTrials.gov record {identity['registry_id']} (last updated {updated}).",
        "# Everything the record states is filled in verbatim. The draft is NOT valid until every entry",
        "# under to_complete is done and removed; `dermtrial protocol validate` reports each as incomplete.",
        "#",
        "# To complete:",
        *(f"#   - {item['path']}: {item['reason']}" for item in draft["to_complete"]),
        "",
    ]
    body = yaml.safe_dump(draft, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)
    return "\n".join(header) + body


# -------------------------------------------------------------------------------------------------- helpers


def _unescape(text: str | None) -> str | None:
    """Undo the v2 API's markdown backslash escapes (``\\>`` → ``>``, ``\\*`` → ``*``)."""
    if text is None:
        return None
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


_TRAILING = re.compile(r"(?:-(?:and|or|of|the|plus|with|in|for))+$")


def _slug(text: str, limit: int = 32) -> str:
    """A short id from a name: lower case, words joined by ``-``, cut at a word boundary."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
        slug = _TRAILING.sub("", slug)
    if slug and not slug[0].isalpha():
        slug = f"x-{slug}"
    return slug


def _initials(name: str) -> str:
    """``Guangdong Provincial Hospital of Traditional Chinese Medicine`` → ``GPHTCM``."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", name) if w.casefold() not in {"of", "the", "and", "de"}]
    initials = "".join(word[0].upper() for word in words)[:10]
    return initials if len(initials) >= 2 else _slug(name, limit=16)


def _unique(ident: str, used: set[str]) -> str:
    candidate, suffix = ident, 2
    while candidate in used:
        candidate, suffix = f"{ident}-{suffix}", suffix + 1
    used.add(candidate)
    return candidate
