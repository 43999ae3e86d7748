"""The screening record built from the screening visit's forms (services/eligibility_record.py), on both engines."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from dermtrial.eligibility import evaluate_candidate, read_record
from dermtrial.eligibility.template import template_record
from dermtrial.protocol.builtin import load_builtin
from dermtrial.services import Actor
from dermtrial.services.conduct_views import schedule_subject_visits
from dermtrial.services.eligibility_record import NOT_ENTERED, eligibility_record_from_forms
from dermtrial.services.enrollment import evaluate_eligibility
from dermtrial.services.errors import NotFound
from dermtrial.services.forms import save_form
from dermtrial.services.reference_ranges import add_reference_range
from dermtrial.services.safety_labs import record_lab_result
from dermtrial.services.subjects import screen_subject
from dermtrial.store.models import Visit
from tests.conftest import NOW, StudySetup

PROTOCOL = load_builtin("NCT03392311")
BASELINE = "2019-08-01"
#: PASI: every region erythema 2 + induration 2 + desquamation 2 = 6, area score 3:
#: 6 × 3 × (0.1 + 0.2 + 0.3 + 0.4) = 18.0.
PASI_ITEMS = {f"{region}.{item}": 2 for region in ("head", "upper_limbs", "trunk", "lower_limbs")
              for item in ("erythema", "induration", "desquamation")} | {
    f"{region}.area": 3 for region in ("head", "upper_limbs", "trunk", "lower_limbs")}  # fmt: skip
PASI = 18.0
#: SAS: 15 items ticked 2, the 5 reversed items (5, 9, 13, 17, 19) ticked 4 (scores 1): raw 35, index 43.75 → 44.
SAS = [4 if n in {5, 9, 13, 17, 19} else 2 for n in range(1, 21)]
SAS_INDEX = 44
#: SDS: 10 items ticked 2, the 10 reversed items ticked 3 (scores 2): raw 40, index 50.
SDS = [3 if n in {2, 5, 6, 11, 12, 14, 16, 17, 18, 20} else 2 for n in range(1, 21)]
SDS_INDEX = 50
#: Screening results as the lab reported them (calcium in mg/dL, converted by the engine), range in the same unit.
LABS = {
    "CA": ("9.4", "mg/dL", "8.4", "10.2"),
    "ALT": ("28", "U/L", "9", "50"),
    "AST": ("24", "U/L", "15", "40"),
    "CREAT": ("72", "umol/L", "57", "111"),
    "CYSC": ("0.85", "mg/L", "0.59", "1.03"),
    "HGB": ("142", "g/L", "130", "175"),
    "PLAT": ("228", "10^9/L", "125", "350"),
    "WBC": ("6.4", "10^9/L", "3.5", "9.5"),
}
LAST_USE = {
    "topical_corticosteroid": "2019-06-01",
    "topical_retinoid": "2019-05-01",
    "topical_vitamin_d_analogue": "2019-04-01",
    "systemic_therapy": "2019-03-01",
    "phototherapy": "2019-02-01",
    "puva": "2019-01-01",
    "biologic": "2018-12-01",
}
NO_FACTS = ("ACUTEPROG", "ERYTEND", "PREGLACT", "PSYCH", "UNCONTR", "MALIG", "INFECT", "ELECTRO", "ACIDBASE",
            "TUMMARK", "ORGDYS", "ALLERGY", "OTHTRIAL")  # fmt: skip
FACTS: dict[str, Any] = {"PSOTYPE": "plaque", "OTHTRDAT": "2018-01-15", **dict.fromkeys(NO_FACTS, False)}


@dataclass
class Screened:
    subject_id: int
    crc: Actor
    visits: dict[str, int]


def _visits(study: StudySetup, subject_id: int) -> dict[str, int]:
    with study.db.reading() as session:
        return dict(session.execute(select(Visit.visit_code, Visit.id).where(Visit.subject_id == subject_id)).all())


def _form(study: StudySetup, crc: Actor, subject_id: int, code: str, values: dict[str, Any], visit: int | None) -> None:
    save_form(
        study.db, crc, subject_id=subject_id, form_code=code, item_values=values, now=NOW, visit_id=visit,
        status="complete",
    )  # fmt: skip


def screened(study: StudySetup, *, skip_lab: str | None = None) -> Screened:
    """A candidate at GZ01 whose screening forms and labs are all entered (but ``skip_lab``)."""
    pi = study.user("dr.wang", "investigator", "GZ01")
    crc = study.user("nurse.li", "coordinator", "GZ01")
    subject = screen_subject(
        study.db, crc, site_code="GZ01", consent_version="1.0", consent_signed_local="2019-07-10T10:00", now=NOW
    )
    schedule_subject_visits(study.db, crc, subject_id=subject, now=NOW)
    visits = _visits(study, subject)
    at = visits["screening"]
    _form(study, crc, subject, "DM", {"BRTHDAT": "1979-03-14", "SEX": "M"}, at)
    _form(study, crc, subject, "PASI", PASI_ITEMS, at)
    _form(study, crc, subject, "BSA", {"percent": 18}, at)
    _form(study, crc, subject, "SAS", {f"SAS{n:02d}": a for n, a in enumerate(SAS, 1)}, at)
    _form(study, crc, subject, "SDS", {f"SDS{n:02d}": a for n, a in enumerate(SDS, 1)}, at)
    _form(study, crc, subject, "IE", FACTS, at)
    rows = [{"TRT": code, "CLASS": code, "LASTDAT": day} for code, day in LAST_USE.items() if code != "puva"]
    rows.append({"TRT": "older course", "CLASS": "biologic", "LASTDAT": "2017-05-01"})  # the latest date counts
    _form(study, crc, subject, "PRIORTX", {"therapy": rows}, None)
    puva = {"TRT": "PUVA", "CLASS": "puva", "LASTDAT": LAST_USE["puva"]}  # the log kept as a second instance
    _form(study, crc, subject, "PRIORTX", {"therapy": [puva]}, at)
    for code, (value, unit, low, high) in LABS.items():
        add_reference_range(
            study.db, pi, site_code="GZ01", laboratory="central lab", test_code=code, unit=unit, lower=low,
            upper=high, effective_from=dt.date(2019, 1, 1), now=NOW,
        )  # fmt: skip
        if code != skip_lab:
            record_lab_result(
                study.db, crc, subject_id=subject, test_code=code, value=Decimal(value), unit=unit,
                collected_local="2019-07-12T08:00", now=NOW, visit_id=at,
            )  # fmt: skip
    return Screened(subject, crc, visits)


def same_values_from_template() -> dict[str, Any]:
    """The template record carrying the values entered on the forms above (what a coordinator would have typed)."""
    record = template_record(PROTOCOL)
    record.update(
        candidate="GZ01-S001",
        consent_date="2019-07-10",
        birth_date="1979-03-14",
        other_trial_end_date=FACTS["OTHTRDAT"],
        assessments={"pasi": PASI, "bsa_percent": 18, "zung_sas_index": SAS_INDEX, "zung_sds_index": SDS_INDEX},
        labs=[
            {"test": code, "value": float(v), "unit": unit, "lln": float(low), "uln": float(high)}
            for code, (v, unit, low, high) in LABS.items()
        ],
        last_use=dict(LAST_USE),
    )
    return record


def _results(record: dict[str, Any]) -> tuple[str, dict[str, str]]:
    evaluation = evaluate_candidate(PROTOCOL, read_record(json.loads(json.dumps(record))))
    return evaluation.verdict, {c.criterion.id: c.result for c in evaluation.criteria}


def test_a_fully_entered_screening_gives_the_verdict_of_the_same_values_typed(study: StudySetup) -> None:
    case = screened(study)
    record, sources = eligibility_record_from_forms(study.db, case.crc, case.subject_id)
    assert record["assessments"]["pasi_items"]["trunk"] == {"erythema": 2, "induration": 2, "desquamation": 2,
                                                            "area": 3}  # fmt: skip
    assert record["assessments"]["zung_sas_items"] == SAS
    assert record["assessments"]["bsa_percent"] == 18
    assert record["last_use"] == LAST_USE
    assert record["facts"]["consent_signed"] is True  # from the consent taken at screening
    assert record["birth_date"] == "1979-03-14"
    assert "baseline_date" not in record  # day 1 not recorded: the planned baseline is the coordinator's to add
    assert {lab["test"]: (lab["value"], lab["unit"], lab["lln"], lab["uln"]) for lab in record["labs"]}["CA"] == (
        9.4, "mg/dL", 8.4, 10.2)  # fmt: skip
    assert sources["pasi"].startswith("PASI form ")
    assert sources["calcium"].startswith("lab result ")
    assert sources["consent_signed"].startswith("consent ")
    assert sources["days_since_topical"].endswith("baseline date not entered (day 1 not recorded)")
    judgements = same_values_from_template()["judgements"]
    typed = same_values_from_template()
    # Without the baseline the washouts are unknown in both records alike.
    assert _results(record | {"judgements": judgements}) == _results({k: v for k, v in typed.items()
                                                                      if k != "baseline_date"})  # fmt: skip
    filled = record | {"judgements": judgements, "baseline_date": BASELINE}
    typed["baseline_date"] = BASELINE
    assert _results(filled) == _results(typed)
    assert _results(filled)[0] == "eligible"
    _, verdict = evaluate_eligibility(
        study.db, case.crc, subject_id=case.subject_id, record=filled, evaluated_local="2019-07-20", now=NOW
    )
    assert verdict == "eligible"


def test_a_missing_lab_leaves_its_criterion_unknown(study: StudySetup) -> None:
    case = screened(study, skip_lab="CREAT")
    record, sources = eligibility_record_from_forms(study.db, case.crc, case.subject_id)
    assert "CREAT" not in {lab["test"] for lab in record["labs"]}
    assert sources["creatinine"] == NOT_ENTERED
    judgements = template_record(PROTOCOL)["judgements"]
    verdict, results = _results(record | {"judgements": judgements, "baseline_date": BASELINE})
    assert verdict == "incomplete"
    assert {cid for cid, result in results.items() if result == "unknown"} == {"E5d"}  # creatinine > ULN


def test_values_come_from_the_screening_visit_not_a_later_one(study: StudySetup) -> None:
    case = screened(study)
    day1, week2 = case.visits["day1"], case.visits["week2"]
    later = dict.fromkeys(PASI_ITEMS, 0)
    _form(study, case.crc, case.subject_id, "PASI", later, day1)
    _form(study, case.crc, case.subject_id, "SAS", {f"SAS{n:02d}": 4 for n in range(1, 21)}, None)
    record_lab_result(
        study.db, case.crc, subject_id=case.subject_id, test_code="CA", value=Decimal("12.0"), unit="mg/dL",
        collected_local="2019-08-15T08:00", now=NOW, visit_id=week2,
    )  # fmt: skip
    record, sources = eligibility_record_from_forms(study.db, case.crc, case.subject_id)
    assert record["assessments"]["pasi_items"]["head"]["area"] == 3
    assert record["assessments"]["zung_sas_items"] == SAS  # a SAS form outside the screening visit is not read
    assert {lab["test"]: lab["value"] for lab in record["labs"]}["CA"] == 9.4
    assert "2019-07-12" in sources["calcium"]


def test_nothing_entered_stays_absent_and_unknown(study: StudySetup) -> None:
    crc = study.user("nurse.li", "coordinator", "GZ01")
    subject = screen_subject(
        study.db, crc, site_code="GZ01", consent_version="1.0", consent_signed_local="2019-07-10", now=NOW
    )
    schedule_subject_visits(study.db, crc, subject_id=subject, now=NOW)
    pasi = save_form(
        study.db, crc, subject_id=subject, form_code="PASI", item_values={"head.erythema": 2}, now=NOW,
        visit_id=_visits(study, subject)["screening"],
    )  # fmt: skip  # in progress: three regions still to score
    record, sources = eligibility_record_from_forms(study.db, crc, subject)
    assert record == {"candidate": "GZ01-S001", "consent_date": "2019-07-10", "facts": {"consent_signed": True}}
    assert sources["pasi"] == f"PASI form {pasi.form_id}: not entered (not complete)"
    assert sources["bsa"] == NOT_ENTERED
    assert sources["age"].startswith("birth date not entered; consent ")
    assert _results(record)[0] == "incomplete"


def test_a_reader_without_identity_access_gets_no_birth_date(study: StudySetup) -> None:
    case = screened(study)
    monitor = study.user("mon.zhao", "monitor", "GZ01")
    record, sources = eligibility_record_from_forms(study.db, monitor, case.subject_id)
    assert "birth_date" not in record
    assert sources["age"].startswith("birth date not shown (needs identity.read)")


def test_another_sites_user_gets_not_found(study: StudySetup) -> None:
    case = screened(study)
    other = study.user("nurse.zhou", "coordinator", "SH02")
    with pytest.raises(NotFound):
        eligibility_record_from_forms(study.db, other, case.subject_id)
