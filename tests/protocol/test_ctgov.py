"""The ClinicalTrials.gov API v2 importer: a record becomes a draft that validates as incomplete, not valid.

The two fixtures are the registry records of NCT03392311 and its sister NCT04275024 (see
``tests/fixtures/ctgov/README.md`` for which fields were reconstructed). Every registry fact in the draft is
compared with the record field by field; everything the record cannot give must be under ``to_complete``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from dermtrial.errors import InvalidInput
from dermtrial.modeling import Quantity
from dermtrial.protocol.checks import resolve_path
from dermtrial.protocol.ctgov import DRAFT_VERSION, draft_from_record, draft_yaml, parse_record
from dermtrial.protocol.loader import validate_text
from dermtrial.protocol.model import Dose, Protocol, RegistryDate

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ctgov"
TRIALS = ["NCT03392311", "NCT04275024"]


def _record(nct: str) -> dict[str, Any]:
    return parse_record((FIXTURES / f"{nct}.json").read_text(encoding="utf-8"), f"{nct}.json")


def _protocol(record: dict[str, Any]) -> Protocol:
    report = validate_text(draft_yaml(record), "draft.yaml")
    assert report.protocol is not None, [p.format() for p in report.invalid]
    return report.protocol


def _plain(markdown: str) -> str:
    """The registry's wording without the v2 API's markdown escapes, whitespace normalised."""
    for char in "><*^":
        markdown = markdown.replace("\\" + char, char)
    return " ".join(markdown.split())


def _minimal(**overrides: Any) -> dict[str, Any]:
    """A small synthetic v2 record; keyword arguments replace whole modules of ``protocolSection``."""
    section: dict[str, Any] = {
        "identificationModule": {"nctId": "NCT00000001", "briefTitle": "A synthetic trial"},
        "statusModule": {"lastUpdatePostDateStruct": {"date": "2024-05-02", "type": "ACTUAL"}},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "A sponsor", "class": "OTHER"}},
        "designModule": {"studyType": "INTERVENTIONAL", "enrollmentInfo": {"count": 4, "type": "ESTIMATED"}},
        "armsInterventionsModule": {
            "armGroups": [{"label": "Only arm", "interventionNames": ["Drug: Cream A"]}],
            "interventions": [{"type": "DRUG", "name": "Cream A", "description": "Cream A applied topically."}],
        },
        "eligibilityModule": {"eligibilityCriteria": "Inclusion Criteria:\n\n* adult\n\nExclusion Criteria:\n\n* none"},
    }
    section.update(overrides)
    return {"protocolSection": section}


def _todos(draft: dict[str, Any]) -> dict[str, str]:
    return {item["path"]: item["reason"] for item in draft["to_complete"]}


# --------------------------------------------------------------------------- the drafts validate as drafts


@pytest.mark.parametrize("nct", TRIALS)
@pytest.mark.requirement("CLIN-PROT-02")
def test_draft_is_incomplete_not_invalid_and_validate_reports_every_to_complete_entry(nct: str) -> None:
    draft = draft_from_record(_record(nct))
    report = validate_text(draft_yaml(_record(nct)), "draft.yaml")
    assert [p.format() for p in report.invalid] == []
    assert report.exit_code == 1
    messages = {problem.message for problem in report.incomplete}
    for item in draft["to_complete"]:
        assert f"to complete: {item['path']}: {item['reason']}" in messages


@pytest.mark.parametrize("nct", TRIALS)
def test_every_to_complete_path_names_a_field_of_the_draft(nct: str) -> None:
    protocol = _protocol(_record(nct))
    assert all(resolve_path(protocol, item.path) for item in protocol.to_complete)
    assert protocol.version == DRAFT_VERSION
    assert protocol.visits == []


@pytest.mark.parametrize("nct", TRIALS)
def test_yaml_round_trips_to_the_mapping_and_its_header_lists_what_to_complete(nct: str) -> None:
    record = _record(nct)
    text = draft_yaml(record)
    draft = draft_from_record(record)
    assert yaml.safe_load(text) == draft
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[0].startswith(f"# DRAFT protocol imported from ClinicalTrials.gov record {nct}")
    for item in draft["to_complete"]:
        assert f"#   - {item['path']}: {item['reason']}" in header


# ---------------------------------------------------------------------------- registry facts, field by field


@pytest.mark.parametrize("nct", TRIALS)
@pytest.mark.requirement("CLIN-PROT-02")
def test_identity_matches_the_record(nct: str) -> None:
    record = _record(nct)
    ps = record["protocolSection"]
    ident, status = ps["identificationModule"], ps["statusModule"]
    identity = _protocol(record).identity
    assert identity.registry_id == nct
    assert identity.sponsor_code == ident["orgStudyIdInfo"]["id"]
    assert identity.brief_title == ident["briefTitle"]
    assert identity.official_title == ident["officialTitle"]
    assert identity.summary == ps["descriptionModule"]["briefSummary"]
    assert identity.sponsor == ps["sponsorCollaboratorsModule"]["leadSponsor"]["name"]
    assert identity.conditions == ps["conditionsModule"]["conditions"]
    assert identity.overall_status == status["overallStatus"]
    for field, key in [
        ("start", "startDateStruct"),
        ("primary_completion", "primaryCompletionDateStruct"),
        ("completion", "completionDateStruct"),
    ]:
        assert getattr(identity, field).model_dump() == status[key]
    assert identity.last_update == status["lastUpdatePostDateStruct"]["date"]
    [location] = ps["contactsLocationsModule"]["locations"]
    [site] = identity.sites
    assert (site.name, site.city, site.country) == (
        location["facility"],
        location["city"],
        location["country"],
    )


def test_nct03392311_identity_is_the_registered_one() -> None:
    identity = _protocol(_record("NCT03392311")).identity
    assert identity.sponsor_code == "S2016-04-02"
    assert identity.start == RegistryDate(date="2019-07-23", type="ACTUAL")
    assert identity.primary_completion == RegistryDate(date="2019-10-23", type="ESTIMATED")
    assert identity.completion == RegistryDate(date="2020-03-19", type="ACTUAL")
    assert identity.last_update == "2023-08-24"
    assert identity.conditions == ["Psoriasis", "Mesenchymal Stromal Cells", "Drug Effect", "Drug Toxicity"]


def test_site_time_zone_comes_from_the_country_and_is_recorded_as_an_assumption() -> None:
    protocol = _protocol(_record("NCT03392311"))
    [site] = protocol.identity.sites
    assert (site.id, site.timezone) == ("GPHTCM", "Asia/Shanghai")
    assert [a.path for a in protocol.assumptions] == ["identity.sites.GPHTCM.timezone"]


def test_site_in_a_country_with_several_zones_gets_no_zone_and_a_to_complete_entry() -> None:
    location = {"facility": "Mayo Clinic", "city": "Rochester", "country": "United States"}
    draft = draft_from_record(_minimal(contactsLocationsModule={"locations": [location]}))
    [site] = draft["identity"]["sites"]
    assert site["id"] == "MC"
    assert "timezone" not in site  # no placeholder that could survive into a running protocol
    assert "several time zones" in _todos(draft)["identity.sites.MC.timezone"]


@pytest.mark.parametrize("nct", TRIALS)
@pytest.mark.requirement("CLIN-PROT-02")
def test_design_and_enrollment_are_verbatim(nct: str) -> None:
    record = _record(nct)
    module = record["protocolSection"]["designModule"]
    design = _protocol(record).design
    assert design.study_type == module["studyType"]
    assert design.phases == module["phases"] == ["PHASE1", "PHASE2"]
    assert design.allocation == module["designInfo"]["allocation"] == "NA"
    assert design.intervention_model == module["designInfo"]["interventionModel"] == "SINGLE_GROUP"
    assert design.primary_purpose == module["designInfo"]["primaryPurpose"] == "TREATMENT"
    assert design.masking == module["designInfo"]["maskingInfo"]["masking"] == "NONE"
    assert (design.enrollment.count, design.enrollment.type) == (8, "ACTUAL")


@pytest.mark.parametrize("nct", TRIALS)
def test_arms_match_the_record_and_link_interventions_by_id(nct: str) -> None:
    record = _record(nct)
    module = record["protocolSection"]["armsInterventionsModule"]
    protocol = _protocol(record)
    for arm, group in zip(protocol.arms, module["armGroups"], strict=True):
        assert (arm.label, arm.type, arm.description) == (group["label"], group["type"], group["description"])
        linked = [
            f"{protocol.intervention(i).kind.title()}: {protocol.intervention(i).name}" for i in arm.interventions
        ]
        assert linked == group["interventionNames"]


@pytest.mark.parametrize("nct", TRIALS)
def test_interventions_match_the_record(nct: str) -> None:
    record = _record(nct)
    module = record["protocolSection"]["armsInterventionsModule"]
    protocol = _protocol(record)
    for intervention, item in zip(protocol.interventions, module["interventions"], strict=True):
        assert intervention.kind == item["type"]
        assert intervention.name == item["name"]
        assert intervention.description == item["description"]
        assert intervention.other_names == item.get("otherNames", [])


@pytest.mark.parametrize("nct", TRIALS)
def test_outcomes_match_the_record(nct: str) -> None:
    record = _record(nct)
    module = record["protocolSection"]["outcomesModule"]
    registered = [("primary", o) for o in module["primaryOutcomes"]]
    registered += [("secondary", o) for o in module.get("secondaryOutcomes", [])]
    endpoints = _protocol(record).endpoints
    assert len(endpoints) == len(registered)
    for endpoint, (rank, outcome) in zip(endpoints, registered, strict=True):
        assert (endpoint.type, endpoint.title) == (rank, outcome["measure"])
        assert (endpoint.description, endpoint.time_frame) == (outcome["description"], outcome["timeFrame"])
        assert (endpoint.derivation, endpoint.instrument, endpoint.timepoint) == (None, None, None)


def test_nct03392311_primary_endpoint_is_the_registered_pasi_improvement_rate() -> None:
    primary = _protocol(_record("NCT03392311")).primary_endpoint()
    assert primary is not None
    assert primary.title == "Improvement rate of PASI(Psoriasis Area and Severity Index)"
    assert primary.time_frame == "12 weeks (plus or minus 3 days) after treatment"


def test_nct04275024_registers_improvement_change_pasi50_and_pasi75() -> None:
    titles = [e.title for e in _protocol(_record("NCT04275024")).endpoints]
    assert titles == [
        "PASI score improvement rate",
        "PASI(Psoriasis Area and Severity Index)",
        "PASI-50",
        "PASI-75",
    ]


def test_effective_date_is_the_last_update_and_is_flagged_to_confirm() -> None:
    protocol = _protocol(_record("NCT03392311"))
    assert protocol.effective_date == dt.date(2023, 8, 24)
    assert "effective_date" in {item.path for item in protocol.to_complete}


# ------------------------------------------------------------------------------------------------ eligibility


@pytest.mark.parametrize("nct", TRIALS)
def test_criteria_texts_rebuild_the_registered_text(nct: str) -> None:
    record = _record(nct)
    eligibility = _protocol(record).eligibility
    rebuilt = " ".join(
        [
            "Inclusion Criteria:",
            *(f"{c.number}. {c.text}" for c in eligibility.inclusion),
            "Exclusion Criteria:",
            *(f"{c.number}. {c.text}" for c in eligibility.exclusion),
        ]
    )
    assert rebuilt == _plain(record["protocolSection"]["eligibilityModule"]["eligibilityCriteria"])


@pytest.mark.requirement("CLIN-PROT-02")
def test_nct03392311_splits_into_3_inclusion_and_10_exclusion_criteria() -> None:
    eligibility = _protocol(_record("NCT03392311")).eligibility
    assert [c.id for c in eligibility.inclusion] == ["I1", "I2", "I3"]
    assert [c.id for c in eligibility.exclusion] == [f"E{n}" for n in range(1, 11)]
    assert [c.number for c in eligibility.exclusion] == list(range(1, 11))
    assert {c.kind for c in [*eligibility.inclusion, *eligibility.exclusion]} == {"unclassified"}
    # the v2 API escapes markdown ("PASI \> 10"); the criterion keeps the registered wording
    assert eligibility.inclusion[0].text == "moderate to severe psoriasis vulgaris ( PASI > 10 or BSA >10%)"
    assert "Platelet count less than 75.0*10^9/L" in eligibility.exclusion[4].text
    assert eligibility.exclusion[8].text.startswith("topical treatments (i.e. corticosteroids or retinoic")
    assert (eligibility.minimum_age, eligibility.maximum_age, eligibility.sex) == (18, 65, "ALL")
    assert eligibility.healthy_volunteers is False


def test_both_criteria_groups_are_listed_to_complete() -> None:
    todos = _todos(draft_from_record(_record("NCT03392311")))
    assert todos["eligibility.inclusion"].startswith("I1–I3 are imported unclassified")
    assert todos["eligibility.exclusion"].startswith("E1–E10 are imported unclassified")


def test_bulleted_criteria_with_wrapped_lines_sub_lists_and_headings() -> None:
    text = (
        "Inclusion Criteria:\n\n"
        "* Age 18 years\n  or older\n"
        "- Signed consent\n\n"
        "Exclusion Criteria:\n\n"
        "Medical history:\n\n"
        "* Any of these labs:\n\n"
        "  * calcium \\> 2.9 mmol/L\n"
        "  * platelets \\< 75\n"
        "* Pregnancy"
    )
    draft = draft_from_record(_minimal(eligibilityModule={"eligibilityCriteria": text}))
    inclusion, exclusion = draft["eligibility"]["inclusion"], draft["eligibility"]["exclusion"]
    assert [(c["id"], c["number"], c["text"]) for c in inclusion] == [
        ("I1", 1, "Age 18 years or older"),  # the wrapped line is joined
        ("I2", 2, "Signed consent"),  # "-" is a bullet too
    ]
    assert [(c["id"], c["number"], c["text"]) for c in exclusion] == [
        ("E1", 1, "Any of these labs: * calcium > 2.9 mmol/L * platelets < 75"),  # the sub-list stays in E1
        ("E2", 2, "Pregnancy"),
    ]
    assert {c.get("note") for c in exclusion} == {"registered under the heading 'Medical history:'"}


def test_numbered_criteria_wrapped_as_in_the_legacy_text_are_joined() -> None:
    text = "Inclusion Criteria:\n1. moderate to severe\n   psoriasis vulgaris\n2. 18 to 65 years old\n"
    draft = draft_from_record(_minimal(eligibilityModule={"eligibilityCriteria": text}))
    assert [c["text"] for c in draft["eligibility"]["inclusion"]] == [
        "moderate to severe psoriasis vulgaris",
        "18 to 65 years old",
    ]
    assert draft["eligibility"]["exclusion"] == []


def test_criteria_text_that_is_not_a_list_is_kept_whole_and_flagged() -> None:
    text = "Inclusion Criteria:\n\n1.patients with psoriasis; 2.18 to 65 years old"
    draft = draft_from_record(_minimal(eligibilityModule={"eligibilityCriteria": text}))
    [criterion] = draft["eligibility"]["inclusion"]
    assert criterion["text"] == "1.patients with psoriasis; 2.18 to 65 years old"
    assert _todos(draft)["eligibility.inclusion.I1"] == "the text is not a list: split it into criteria"


def test_an_age_not_in_years_is_left_to_complete() -> None:
    module = {
        "minimumAge": "6 Months",
        "maximumAge": "65 Years",
        "eligibilityCriteria": "Inclusion Criteria:\n\n* x",
    }
    draft = draft_from_record(_minimal(eligibilityModule=module))
    assert "minimum_age" not in draft["eligibility"]
    assert draft["eligibility"]["maximum_age"] == 65
    assert _todos(draft)["eligibility.minimum_age"] == 'the record gives "6 Months"; the format takes whole years'


# ------------------------------------------------------------------------------- values read from free text


def test_values_read_from_intervention_free_text() -> None:
    protocol = _protocol(_record("NCT04275024"))
    ointment = protocol.intervention("calcipotriol-ointment")
    granule = protocol.intervention("psori-cm01-granule")
    cells = protocol.intervention("ad-mscs")
    # "topical … ointment … twice daily for 12 weeks": no dose, none needed for a topical
    assert (ointment.route, ointment.frequency, ointment.dose) == ("TOPICAL", "BID", None)
    assert ointment.duration == Quantity(amount=12, unit="week")
    # "granule 5.5g os once a day for 12weeks"
    assert (granule.route, granule.frequency) == ("ORAL", "QD")
    assert granule.dose == Dose(amount=5.5, unit="g", basis="fixed")
    assert granule.duration == Quantity(amount=12, unit="week")
    # "infused intravenously at a dose of 2 million cells/kg"
    assert cells.route == "INTRAVENOUS"
    assert cells.dose == Dose(amount=2e6, unit="cell/kg", basis="body_weight")


@pytest.mark.parametrize("nct", TRIALS)
def test_every_value_read_from_free_text_is_listed_to_confirm(nct: str) -> None:
    draft = draft_from_record(_record(nct))
    todos = _todos(draft)
    for intervention in draft["interventions"]:
        for field in ("route", "frequency", "dose", "duration"):
            if field in intervention:
                assert f"interventions.{intervention['id']}.{field}" in todos


def test_what_the_record_cannot_give_is_listed_to_complete() -> None:
    todos = _todos(draft_from_record(_record("NCT03392311")))
    assert todos["interventions.ad-mscs.administered_at"] == "the record does not say at which visits it is given"
    assert todos["interventions.ad-mscs.frequency"].startswith("the record states no frequency")
    assert todos["interventions.ad-mscs.dose"].startswith('read from free text, confirm: "2 million cells/kg"')
    for path in ("visits", "forms", "populations", "endpoints.primary-1"):
        assert path in todos


def test_a_dose_without_a_unit_is_listed_to_complete() -> None:
    item = {"type": "DRUG", "name": "Pill B", "description": "Taken orally at a dose of 3 once daily."}
    module = {"armGroups": [], "interventions": [item]}
    draft = draft_from_record(_minimal(armsInterventionsModule=module))
    [intervention] = draft["interventions"]
    assert "dose" not in intervention
    assert intervention["route"] == "ORAL"
    assert _todos(draft)["interventions.pill-b.dose"].startswith("the record gives a dose without a unit")


def test_a_record_type_the_format_lacks_becomes_other_and_is_flagged() -> None:
    item = {"type": "RADIATION", "name": "Narrowband UVB", "description": "Phototherapy three times a week."}
    draft = draft_from_record(_minimal(armsInterventionsModule={"interventions": [item]}))
    assert draft["interventions"][0]["kind"] == "OTHER"
    assert "RADIATION" in _todos(draft)["interventions.narrowband-uvb.kind"]


# ------------------------------------------------------------------------------------------------ bad input


def test_malformed_json_is_bad_input_with_line_and_column() -> None:
    text = '{\n  "protocolSection": {\n    "identificationModule": {"nctId": "NCT03392311",}\n  }\n}\n'
    with pytest.raises(InvalidInput) as caught:
        parse_record(text, "bad.json")
    # line 3, column 53 is the "}" after the trailing comma
    assert [p.format() for p in caught.value.problems] == [
        "bad.json:3:53: (top level): malformed JSON: Expecting property name enclosed in double quotes"
    ]


def test_json_without_protocol_section_is_not_a_record() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_record(json.dumps({"studies": []}), "search.json")
    assert str(caught.value) == (
        "search.json: protocolSection: required field is missing: this is not a ClinicalTrials.gov API v2 study record"
    )


def test_record_without_nct_id_names_the_missing_path() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_record(json.dumps({"protocolSection": {"identificationModule": {}}}), "r.json")
    assert str(caught.value) == (
        "r.json: protocolSection.identificationModule.nctId: required field is missing: "
        "this is not a ClinicalTrials.gov API v2 study record"
    )


def test_json_that_is_not_an_object_is_bad_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_record("[1, 2]", "list.json")
    assert str(caught.value) == "list.json: (top level): a ClinicalTrials.gov API v2 study record is a JSON object"


def test_a_field_of_the_wrong_type_names_its_path() -> None:
    record = copy.deepcopy(_record("NCT03392311"))
    record["protocolSection"]["conditionsModule"]["conditions"] = "Psoriasis"
    with pytest.raises(InvalidInput) as caught:
        draft_from_record(record)
    assert str(caught.value) == (
        'protocolSection.conditionsModule.conditions: "Psoriasis" is not allowed: expected a list of texts'
    )
