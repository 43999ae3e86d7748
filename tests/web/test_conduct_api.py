"""The conduct endpoints on SQLite and PostgreSQL: screening, eligibility, enrollment, a visit's forms, drafts and the
live PASI score; happy paths, 422s naming field, value and allowed, and the role × site matrix."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dermtrial.instruments import PasiItems, score_pasi
from dermtrial.services.reference_ranges import add_reference_range
from dermtrial.services.signatures import sign_record
from tests.conftest import NOW, PASSWORD
from tests.services.conduct_setup import eligible_record
from tests.web.conftest import Web

CONSENT = {"site": "GZ01", "consent_version": "1.0", "consent_signed_local": "2019-07-10T10:00"}


def _visit(web: Web, subject: int, code: str, who: str = "nurse.li") -> int:
    visits = web.client.get(f"/api/v1/subjects/{subject}/visits", headers=web.api(who)).json()["items"]
    return int(next(v["id"] for v in visits if v["visit_code"] == code))


def test_screen_evaluate_sign_and_enroll(web: Web) -> None:
    created = web.client.post("/api/v1/screening", json=CONSENT, headers=web.api("nurse.li"))
    assert created.status_code == 201, created.text
    subject = created.json()["id"]
    assert created.json()["status"] == "screening"
    assert web.client.get(f"/api/v1/subjects/{subject}/eligibility", headers=web.api("nurse.li")).json() == {
        "evaluation": None
    }
    refused = web.client.post(
        f"/api/v1/subjects/{subject}/enrollment", json={"enrolled_local": "2019-07-25"}, headers=web.api("dr.wang")
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "eligibility"
    body = {"record": eligible_record(), "evaluated_local": "2019-07-20"}
    evaluated = web.client.post(f"/api/v1/subjects/{subject}/eligibility", json=body, headers=web.api("nurse.li"))
    assert evaluated.status_code == 201, evaluated.text
    evaluation = evaluated.json()["evaluation"]
    assert evaluation["verdict"] == "eligible"
    assert evaluation["signed"] is False
    calcium = next(c for c in evaluation["criteria"] if c["id"] == "E5b")
    assert calcium["result"] == "satisfied"
    assert calcium["evidence"]["inputs"]["calcium"]["reference_range"]["uln"] == 2.6
    unsigned = web.client.post(
        f"/api/v1/subjects/{subject}/enrollment", json={"enrolled_local": "2019-07-25"}, headers=web.api("dr.wang")
    )
    assert unsigned.status_code == 422
    assert "signed" in unsigned.json()["error"]["message"]
    sign_record(
        web.study.db,
        web.people["dr.wang"],
        entity_type="eligibility_evaluation",
        entity_id=evaluation["id"],
        password=PASSWORD,
        meaning="approved",
        now=NOW,
    )
    enrolled = web.client.post(
        f"/api/v1/subjects/{subject}/enrollment", json={"enrolled_local": "2019-07-25"}, headers=web.api("dr.wang")
    )
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["status"] == "enrolled"
    assert enrolled.json()["subject_number"].startswith("GZ01-")


def test_screening_validation_names_field_value_and_allowed(web: Web) -> None:
    bad = web.client.post(
        "/api/v1/screening", json=CONSENT | {"consent_signed_local": "10/07/2019"}, headers=web.api("nurse.li")
    )
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["field"] == "consent_signed_local"
    assert error["value"] == "10/07/2019"
    assert error["allowed"]
    record = eligible_record(assessments={"pasi": 99})
    bad = web.client.post(
        f"/api/v1/subjects/{web.gz_subject}/eligibility",
        json={"record": record, "evaluated_local": "2019-07-20"},
        headers=web.api("nurse.li"),
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "assessments.pasi"
    assert "0–72" in bad.json()["error"]["allowed"]


def test_scoping_another_sites_subject_is_404_and_a_missing_permission_403(web: Web) -> None:
    body = {"record": eligible_record(), "evaluated_local": "2019-07-20"}
    other = web.client.post(f"/api/v1/subjects/{web.sh_subject}/eligibility", json=body, headers=web.api("nurse.li"))
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not-found"
    assert (
        web.client.get(f"/api/v1/subjects/{web.sh_subject}/eligibility", headers=web.api("nurse.li")).status_code == 404
    )
    monitor = web.client.post(f"/api/v1/subjects/{web.gz_subject}/eligibility", json=body, headers=web.api("mon"))
    assert monitor.status_code == 403
    assert monitor.json()["error"]["code"] == "forbidden"
    assert web.client.post("/api/v1/screening", json=CONSENT, headers=web.api("mon")).status_code == 403
    visit = _visit(web, web.gz_subject, "screening")
    assert (
        web.client.get(
            f"/api/v1/subjects/{web.gz_subject}/visits/{visit}/forms", headers=web.api("nurse.wu")
        ).status_code
        == 404
    )
    draft = {"item_values": {"PULSE": "70"}, "version": None}
    assert (
        web.client.put(
            f"/api/v1/subjects/{web.gz_subject}/visits/{visit}/drafts/VS", json=draft, headers=web.api("mon")
        ).status_code
        == 403
    )


def test_a_visits_forms_and_a_draft_saved_then_refused_out_of_range(web: Web) -> None:
    visit = _visit(web, web.gz_subject, "screening")
    url = f"/api/v1/subjects/{web.gz_subject}/visits/{visit}"
    forms = web.client.get(f"{url}/forms", headers=web.api("nurse.li")).json()
    assert [f["form_code"] for f in forms["forms"]][:3] == ["IC", "DM", "PSOHX"]
    assert {f["status"] for f in forms["forms"]} == {"not-started"}
    first = web.client.put(
        f"{url}/drafts/VS", json={"item_values": {"PULSE": "70"}, "version": None}, headers=web.api("nurse.li")
    )
    assert first.status_code == 200, first.text
    again = web.client.put(
        f"{url}/drafts/VS",
        json={"item_values": {"PULSE": "71", "SYSBP": "120"}, "version": first.json()["version"]},
        headers=web.api("nurse.li"),
    )
    assert again.status_code == 200
    assert again.json()["version"] == first.json()["version"] + 1
    stale = web.client.put(
        f"{url}/drafts/VS", json={"item_values": {"PULSE": "72"}, "version": 1}, headers=web.api("nurse.li")
    )
    assert stale.status_code == 412
    bad = web.client.put(
        f"{url}/drafts/VS",
        json={"item_values": {"PULSE": "900"}, "version": again.json()["version"]},
        headers=web.api("nurse.li"),
    )
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert (error["field"], error["value"], error["allowed"]) == ("item_values.PULSE", "900", "20.0–220.0 1/min")
    status = web.client.get(f"{url}/forms", headers=web.api("nurse.li")).json()["forms"]
    assert next(f for f in status if f["form_code"] == "VS")["status"] == "in-progress"


def _items(values: list[int]) -> dict[str, Any]:
    regions = ("head", "upper_limbs", "trunk", "lower_limbs")
    signs = ("erythema", "induration", "desquamation", "area")
    return {f"{r}.{s}": values[i * 4 + j] for i, r in enumerate(regions) for j, s in enumerate(signs)}


def test_the_live_pasi_score_is_the_instruments(web: Web) -> None:
    values = [2, 1, 2, 3, 1, 1, 1, 2, 3, 2, 2, 4, 0, 0, 0, 0]
    answer = web.client.post("/api/v1/scores/pasi", json={"item_values": _items(values)}, headers=web.api("nurse.li"))
    assert answer.status_code == 200, answer.text
    nested = {
        r: {
            "erythema": values[i * 4],
            "induration": values[i * 4 + 1],
            "desquamation": values[i * 4 + 2],
            "area": values[i * 4 + 3],
        }
        for i, r in enumerate(("head", "upper_limbs", "trunk", "lower_limbs"))
    }
    expected = score_pasi(PasiItems.model_validate(nested))
    # by hand: 0.1*5*3 + 0.2*3*2 + 0.3*7*4 + 0.4*0*0 = 1.5 + 1.2 + 8.4 = 11.1
    assert answer.json()["pasi"] == float(expected.value) == 11.1
    assert answer.json()["complete"] is True
    assert answer.json()["flags"] == []
    partial = _items(values) | {"lower_limbs.erythema": 3, "lower_limbs.area": 0, "trunk.area": None}
    body = web.client.post("/api/v1/scores/pasi", json={"item_values": partial}, headers=web.api("nurse.li")).json()
    assert body["missing"] == ["trunk.area"]
    assert body["pasi"] == 2.7
    assert body["flags"] == [{"region": "lower_limbs", "problem": "signs_without_area"}]
    bad = web.client.post(
        "/api/v1/scores/pasi", json={"item_values": {"head.erythema": 5}}, headers=web.api("nurse.li")
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "item_values.head.erythema"
    assert bad.json()["error"]["value"] == 5
    assert web.client.post("/api/v1/scores/pasi", json={"item_values": {}}).status_code == 401


def test_recording_a_visit(web: Web) -> None:
    visit = _visit(web, web.gz_subject, "screening")
    url = f"/api/v1/subjects/{web.gz_subject}/visits/{visit}/occurrence"
    bad = web.client.post(url, json={"visit_local": "20.07.2019"}, headers=web.api("nurse.li"))
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "visit_local"
    assert bad.json()["error"]["value"] == "20.07.2019"
    assert web.client.post(url, json={"visit_local": "2019-07-20"}, headers=web.api("nurse.wu")).status_code == 404
    assert web.client.post(url, json={"visit_local": "2019-07-20"}, headers=web.api("mon")).status_code == 403
    done = web.client.post(url, json={"visit_local": "2019-07-20"}, headers=web.api("nurse.li"))
    assert done.status_code == 200, done.text
    assert done.json()["window"] == "in_window"
    assert done.json()["visit"]["status"] == "done"


def test_the_live_lab_grade_is_the_grade_stored(web: Web) -> None:
    add_reference_range(
        web.study.db,
        web.people["dr.wang"],
        site_code="GZ01",
        laboratory="central lab",
        test_code="PLAT",
        unit="10^9/L",
        lower="125",
        upper="350",
        effective_from=dt.date(2019, 1, 1),
        now=NOW,
    )
    dm = {"form_code": "DM", "item_values": {"BRTHDAT": "1980-02-29", "SEX": "F"}}
    assert web.client.post(f"/api/v1/subjects/{web.gz_subject}/forms", json=dm, headers=web.api("nurse.li")).is_success
    url = f"/api/v1/subjects/{web.gz_subject}/labs"
    # CTCAE v5 platelet count decreased: 1 <LLN–75, 2 <75–50, 3 <50–25, 4 <25 (10^9/L); 10^3/uL is the same number
    for value, unit, grade in (
        ("200", "10^9/L", 0),
        ("120", "10^9/L", 1),
        ("74.9", "10^3/uL", 2),
        ("40", "10^9/L", 3),
        ("20", "10^9/L", 4),
    ):
        body = {"test_code": "PLAT", "value": value, "unit": unit, "collected_local": "2019-07-18"}
        preview = web.client.post(f"{url}/grade", json=body, headers=web.api("nurse.li"))
        assert preview.status_code == 200, preview.text
        assert preview.json()["grade"] == grade
        assert (preview.json()["lln"], preview.json()["uln"]) == ("125", "350")
        saved = web.client.post(url, json=body, headers=web.api("nurse.li"))
        assert saved.status_code == 201, saved.text
        assert saved.json()["grade"] == grade
    bad = {"test_code": "PLAT", "value": "80", "unit": "g/L", "collected_local": "2019-07-18"}
    refused = web.client.post(f"{url}/grade", json=bad, headers=web.api("nurse.li"))
    assert refused.status_code == 422
    assert (refused.json()["error"]["field"], refused.json()["error"]["value"]) == ("unit", "g/L")
    negative = web.client.post(f"{url}/grade", json=bad | {"value": "-1"}, headers=web.api("nurse.li"))
    assert negative.status_code == 422
    assert negative.json()["error"]["field"] == "value"
    good = bad | {"unit": "10^9/L"}
    assert web.client.post(f"{url}/grade", json=good, headers=web.api("nurse.wu")).status_code == 404
    assert web.client.post(f"{url}/grade", json=good, headers=web.api("mon")).status_code == 200  # reading only
    assert web.client.post(url, json=good, headers=web.api("mon")).status_code == 403


def _enrolled(web: Web) -> int:
    subject = web.client.post("/api/v1/screening", json=CONSENT, headers=web.api("nurse.li")).json()["id"]
    body = {"record": eligible_record(), "evaluated_local": "2019-07-20"}
    evaluation = web.client.post(f"/api/v1/subjects/{subject}/eligibility", json=body, headers=web.api("nurse.li"))
    sign_record(
        web.study.db,
        web.people["dr.wang"],
        entity_type="eligibility_evaluation",
        entity_id=evaluation.json()["evaluation"]["id"],
        password=PASSWORD,
        meaning="approved",
        now=NOW,
    )
    enrolled = web.client.post(
        f"/api/v1/subjects/{subject}/enrollment", json={"enrolled_local": "2019-07-25"}, headers=web.api("dr.wang")
    )
    assert enrolled.status_code == 200, enrolled.text
    return int(subject)


def test_the_dose_shown_and_the_infusion_recorded(web: Web) -> None:
    subject = _enrolled(web)
    url = f"/api/v1/subjects/{subject}"
    # 2 x 10^6 cells/kg x 62.5 kg = 125,000,000 cells; 140,000,000 given is 12 % over, outside ±10 %
    dose = web.client.post(
        f"{url}/dose", json={"weight_kg": "62.5", "dose_given": "140000000"}, headers=web.api("nurse.li")
    ).json()
    assert (dose["computed_dose"], dose["unit"], dose["within_tolerance"]) == ("125000000", "cell", False)
    assert dose["difference_percent"] == "12.00"
    bad = web.client.post(f"{url}/dose", json={"weight_kg": "12"}, headers=web.api("nurse.li"))
    assert bad.status_code == 422
    assert (bad.json()["error"]["field"], bad.json()["error"]["value"]) == ("weight_kg", "12")
    assert web.client.post(f"{url}/dose", json={"weight_kg": "62.5"}, headers=web.api("nurse.wu")).status_code == 404
    day1 = _visit(web, subject, "day1")
    web.client.post(f"{url}/visits/{day1}/occurrence", json={"visit_local": "2019-08-01"}, headers=web.api("nurse.li"))
    body = {
        "visit_code": "day1",
        "weight_kg": "62.5",
        "dose_given": "125000000",
        "started_local": "2019-08-01T09:30",
        "ended_local": "2019-08-01T10:10",
        "unit": {
            "unit_id": "BAG-1",
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
    assert web.client.post(f"{url}/infusions", json=body, headers=web.api("mon")).status_code == 403
    saved = web.client.post(f"{url}/infusions", json=body, headers=web.api("nurse.li"))
    assert saved.status_code == 201, saved.text
    assert (saved.json()["computed_dose"], saved.json()["within_tolerance"], saved.json()["problems"]) == (
        "125000000",
        True,
        [],
    )


def test_ointment_tubes_dispensed_and_returned_with_the_weekly_use(web: Web) -> None:
    url = f"/api/v1/subjects/{web.gz_subject}/tubes"
    tube = {
        "tube_id": "T-1",
        "lot": "C2019-05",
        "expiry": "2020-05-31",
        "weight_g": "115.0",
        "dispensed_local": "2019-08-01",
    }
    assert web.client.post(url, json=tube, headers=web.api("nurse.wu")).status_code == 404
    assert web.client.post(url, json=tube, headers=web.api("mon")).status_code == 403
    heavy = web.client.post(url, json=tube | {"weight_g": "600"}, headers=web.api("nurse.li"))
    assert heavy.status_code == 422
    assert (heavy.json()["error"]["field"], heavy.json()["error"]["allowed"]) == ("weight_g", "0–500")
    assert web.client.post(url, json=tube, headers=web.api("nurse.li")).status_code == 201
    assert web.client.post(
        url, json=tube | {"tube_id": "T-2", "weight_g": "300"}, headers=web.api("nurse.li")
    ).is_success
    # (115.0 - 45.0) g x 7 / 14 days = 35.0 g/week; (300 - 50) x 7 / 14 = 125.0, above the 100 g/week label limit
    back = web.client.post(
        f"{url}/T-1/return", json={"weight_g": "45.0", "returned_local": "2019-08-15"}, headers=web.api("nurse.li")
    ).json()
    assert (back["grams_per_week"], back["above_limit"]) == ("35.0", False)
    over = web.client.post(
        f"{url}/T-2/return", json={"weight_g": "50", "returned_local": "2019-08-15"}, headers=web.api("nurse.li")
    ).json()
    assert (over["grams_per_week"], over["above_limit"]) == ("125.0", True)
    again = web.client.post(
        f"{url}/T-2/return", json={"weight_g": "50", "returned_local": "2019-08-16"}, headers=web.api("nurse.li")
    )
    assert again.status_code == 409
