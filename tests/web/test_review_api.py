"""Safety and review endpoints of /api/v1 on SQLite and PostgreSQL: adverse events (causality, SAE clocks), queries,
source data verification, audit history, signatures and locks; role × site scoping, stale writes, validation."""

from __future__ import annotations

from typing import Any

import pytest

from dermtrial.services.api_tokens import create_api_token
from tests.conftest import NOW, PASSWORD
from tests.web.conftest import Web

AE = {
    "verbatim": "itchy rash on both forearms",
    "term": "Pruritus",
    "start": "2019-08-03",
    "grade": 2,
    "action_taken": "DOSE NOT CHANGED",
    "outcome": "RECOVERING/RESOLVING",
}


def _aes(web: Web) -> str:
    return f"/api/v1/subjects/{web.gz_subject}/adverse-events"


def _new_ae(web: Web, who: str = "nurse.li", **changes: Any) -> Any:
    return web.client.post(_aes(web), json=AE | changes, headers=web.api(who))


def _vs_form(web: Web, pulse: str = "72") -> int:
    visits = web.client.get(f"/api/v1/subjects/{web.gz_subject}/visits", headers=web.api("nurse.li")).json()
    visit = next(v["id"] for v in visits["items"] if v["visit_code"] == "screening")
    body = {"form_code": "VS", "visit_id": visit, "item_values": {"PULSE": pulse}}
    made = web.client.post(f"/api/v1/subjects/{web.gz_subject}/forms", json=body, headers=web.api("nurse.li"))
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _token(web: Web, username: str, role: str, site: str | None) -> dict[str, str]:
    if username not in web.tokens:
        actor = web.study.user(username, role, site)
        web.people[username] = actor
        web.tokens[username] = create_api_token(web.study.db, actor, name="tests", now=NOW).token
    return web.api(username)


def test_an_adverse_event_is_reported_listed_corrected_with_if_match_and_assessed(web: Web) -> None:
    made = _new_ae(web)
    assert made.status_code == 201, made.text
    event = made.json()
    assert (event["term"], event["grade"], event["serious"], event["version"]) == ("Pruritus", 2, False, 1)
    assert event["expectedness"] == {"admsc": False, "calcipotriol": True}  # pruritus is listed for the ointment
    url = made.headers["Location"]
    assert url == f"{_aes(web)}/{event['id']}"
    assert made.headers["ETag"] == '"1"'
    listed = web.client.get(_aes(web), headers=web.api("mon")).json()["items"]
    assert event["id"] in [e["id"] for e in listed]
    change = AE | {"grade": 1, "stop": "2019-08-10", "outcome": "RECOVERED/RESOLVED", "reason": "grade from source"}
    changed = web.client.patch(url, json=change, headers=web.api("nurse.li") | {"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["grade"], changed.json()["stop"], changed.headers["ETag"]) == (1, "2019-08-10", '"2"')
    stale = web.client.patch(url, json=change, headers=web.api("dr.wang") | {"If-Match": '"1"'})
    assert (stale.status_code, stale.json()["error"]["code"]) == (412, "precondition-failed")
    assert web.client.patch(url, json=change, headers=web.api("dr.wang")).status_code == 428
    causality = {"relatedness": {"admsc": "UNLIKELY", "calcipotriol": "POSSIBLE"}}
    version2 = {"If-Match": '"2"'}
    coordinator = web.client.put(f"{url}/relatedness", json=causality, headers=web.api("nurse.li") | version2)
    assert coordinator.status_code == 403  # a coordinator does not assess causality
    assessed = web.client.put(f"{url}/relatedness", json=causality, headers=web.api("dr.wang") | version2)
    assert assessed.status_code == 200, assessed.text
    assert (assessed.json()["relatedness"], assessed.headers["ETag"]) == (causality["relatedness"], '"3"')


def test_a_serious_event_gets_its_reporting_clocks_from_the_sae_report(web: Web) -> None:
    made = _new_ae(web, term="Skin infection", verbatim="cellulitis of the leg", grade=3,
                   seriousness=["hospitalisation"])  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["serious"] is True
    assert made.json()["sae_reports"] == []
    report = {"aware_local": "2019-08-05T09:30", "narrative": "Admitted for cellulitis of the left leg."}
    filed = web.client.post(f"{made.headers['Location']}/sae-reports", json=report, headers=web.api("dr.wang"))
    assert filed.status_code == 201, filed.text
    (first,) = filed.json()["sae_reports"]
    # 09:30 in Asia/Shanghai is 01:30 UTC; the site reports within 24 hours.
    due = (first["sequence"], first["aware_local"], first["site_due_at"])
    assert due == (0, "2019-08-05T09:30", "2019-08-06T01:30:00Z")
    assert first["sponsor_due_date"] is None  # not assessed yet: counts as not related, no expedited clock


def test_adverse_event_validation_names_the_field_the_value_and_what_is_allowed(web: Web) -> None:
    grade = _new_ae(web, grade=7).json()["error"]
    assert (grade["status"], grade["field"], grade["value"], grade["allowed"]) == (422, "grade", 7, "1–5")
    criterion = _new_ae(web, seriousness=["bored"]).json()["error"]
    assert (criterion["field"], criterion["value"]) == ("seriousness[0]", "bored")
    assert "death" in criterion["allowed"]
    outcome = _new_ae(web, outcome="CURED").json()["error"]
    assert (outcome["field"], outcome["value"]) == ("outcome", "CURED")
    assert outcome["allowed"].startswith("one of RECOVERED/RESOLVED")
    stop = _new_ae(web, stop="2019-08-01").json()["error"]
    assert (stop["field"], stop["value"]) == ("stop", "2019-08-01")
    assert stop["message"] == "stop: is before the start 2019-08-03"
    term = _new_ae(web, term="Itchiness").json()["error"]
    assert (term["field"], term["value"]) == ("term", "Itchiness")


# role × site for adverse events: list (GET) and report (POST) at the GZ01 subject.
AE_ROLES = [
    ("nurse.li", 200, 201),  # coordinator at GZ01
    ("mon", 200, 403),  # monitor: reads, cannot report an AE
    ("stat", 200, 403),  # statistician: reads only
    ("nurse.wu", 404, 404),  # coordinator at SH02: the subject does not exist for them
    ("admin", 403, 403),  # administrator: no clinical data
]


def test_adverse_events_role_and_site_matrix(web: Web) -> None:
    seen = [
        (who, web.client.get(_aes(web), headers=web.api(who)).status_code, _new_ae(web, who).status_code)
        for who, _, _ in AE_ROLES
    ]
    assert seen == AE_ROLES


def test_a_query_is_raised_answered_and_closed_with_its_age_and_versions(web: Web) -> None:
    form_id = _vs_form(web)
    body = {"entity_type": "form_instance", "entity_id": form_id, "field": "PULSE", "text": "Please confirm the pulse."}
    assert web.client.post("/api/v1/queries", json=body, headers=web.api("nurse.li")).status_code == 403
    raised = web.client.post("/api/v1/queries", json=body, headers=web.api("mon"))
    assert raised.status_code == 201, raised.text
    query = raised.json()
    assert (query["status"], query["field"], query["site"], query["age_days"], raised.headers["ETag"]) == (
        "open", "PULSE", "GZ01", 0, '"1"'
    )  # fmt: skip
    url = raised.headers["Location"]
    answer = {"text": "72 confirmed in the source notes."}
    answered = web.client.post(f"{url}/answer", json=answer, headers=web.api("nurse.li") | {"If-Match": '"1"'})
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.headers["ETag"]) == ("answered", '"2"')
    note = {"text": "Thank you."}
    by_site = web.client.post(f"{url}/close", json=note, headers=web.api("nurse.li") | {"If-Match": '"2"'})
    assert by_site.status_code == 403  # the site answers; the monitor closes
    stale = web.client.post(f"{url}/close", json=note, headers=web.api("mon") | {"If-Match": '"1"'})
    assert stale.status_code == 412
    closed = web.client.post(f"{url}/close", json=note, headers=web.api("mon") | {"If-Match": '"2"'})
    assert closed.status_code == 200, closed.text
    assert [m["action"] for m in closed.json()["messages"]] == ["raise", "answer", "close"]
    again = web.client.post(f"{url}/answer", json=answer, headers=web.api("nurse.li") | {"If-Match": '"3"'})
    refused = again.json()["error"]
    assert (again.status_code, refused["field"], refused["value"]) == (409, "status", "closed")
    listed = web.client.get("/api/v1/queries?status=closed&per_page=200", headers=web.api("mon")).json()
    assert query["id"] in [q["id"] for q in listed["items"]]
    assert web.client.get(url, headers=web.api("nurse.wu")).status_code == 404
    assert web.client.get("/api/v1/queries", headers=web.api("nurse.wu")).json()["items"] == []


def test_a_query_on_an_unknown_item_or_status_is_422(web: Web) -> None:
    form_id = _vs_form(web)
    body = {"entity_type": "form_instance", "entity_id": form_id, "field": "COLOUR", "text": "?"}
    error = web.client.post("/api/v1/queries", json=body, headers=web.api("mon")).json()["error"]
    assert (error["status"], error["field"], error["value"]) == (422, "field", "COLOUR")
    assert "PULSE" in error["allowed"]
    status = web.client.get("/api/v1/queries?status=asleep", headers=web.api("mon")).json()["error"]
    assert (status["status"], status["field"], status["value"]) == (422, "status", "asleep")
    page = web.client.get("/api/v1/queries?per_page=0", headers=web.api("mon")).json()["error"]
    assert (page["field"], page["allowed"]) == ("per_page", "1–200")


def test_sdv_by_the_monitor_is_reset_by_a_change_and_the_audit_history_shows_old_and_new(web: Web) -> None:
    form_id = _vs_form(web, pulse="80")
    url = f"/api/v1/subjects/{web.gz_subject}/forms/{form_id}"
    verify = {"status": "verified", "item": "PULSE"}
    assert web.client.put(f"{url}/sdv", json=verify, headers=web.api("nurse.li")).status_code == 403
    assert web.client.put(f"{url}/sdv", json=verify, headers=web.api("nurse.wu")).status_code == 404
    done = web.client.put(f"{url}/sdv", json=verify, headers=web.api("mon"))
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["items"]) == ("verified", {"PULSE": "verified"})
    change = {"item_values": {"PULSE": "84"}, "reason": "re-measured"}
    assert web.client.patch(url, json=change, headers=web.api("nurse.li") | {"If-Match": '"1"'}).status_code == 200
    assert web.client.get(f"{url}/sdv", headers=web.api("mon")).json()["status"] == "changed-since"
    bad = web.client.put(f"{url}/sdv", json={"status": "done"}, headers=web.api("mon")).json()["error"]
    assert (bad["field"], bad["value"]) == ("status", "done")
    history = web.client.get(f"/api/v1/audit/form_instance/{form_id}?item=PULSE", headers=web.api("mon"))
    assert history.status_code == 200, history.text
    rows = history.json()["items"]
    assert [(r["old"], r["new"], r["username"]) for r in rows] == [(None, "80", "nurse.li"), ("80", "84", "nurse.li")]
    assert rows[1]["reason"] == "re-measured"
    assert rows[1]["at"].endswith("Z")
    whole = web.client.get(f"/api/v1/audit/form_instance/{form_id}", headers=web.api("mon")).json()["items"]
    pulse = [(r["event_type"], r["old"], r["new"]) for r in whole if r["field"] == "item_values.PULSE"]
    assert pulse == [("create", None, "80"), ("update", "80", "84")]
    assert ("form_code", "VS") in [(r["field"], r["new"]) for r in whole]
    assert web.client.get(f"/api/v1/audit/form_instance/{form_id}", headers=web.api("nurse.li")).status_code == 403
    assert web.client.get(f"/api/v1/audit/form_instance/{form_id}", headers=web.api("nurse.wu")).status_code == 404


def test_a_signature_needs_the_password_and_is_invalidated_when_the_data_change(web: Web) -> None:
    form_id = _vs_form(web, pulse="66")
    body = {"entity_type": "form_instance", "entity_id": form_id, "meaning": "approved", "password": PASSWORD}
    assert web.client.post("/api/v1/signatures", json=body, headers=web.api("nurse.li")).status_code == 403
    wrong = web.client.post("/api/v1/signatures", json=body | {"password": "not-it"}, headers=web.api("dr.wang"))
    assert (wrong.status_code, wrong.json()["error"]["field"]) == (401, "password")
    signed = web.client.post("/api/v1/signatures", json=body, headers=web.api("dr.wang"))
    assert signed.status_code == 201, signed.text
    (signature,) = signed.json()["items"]
    assert (signature["valid"], signature["meaning"], signature["username"]) == (True, "approved", "dr.wang")
    assert signature["manifestation"].startswith("Signed by Dr.Wang (dr.wang), approved, ")
    meaning = web.client.post("/api/v1/signatures", json=body | {"meaning": "liked"}, headers=web.api("dr.wang"))
    assert (meaning.status_code, meaning.json()["error"]["field"]) == (422, "meaning")
    url = f"/api/v1/subjects/{web.gz_subject}/forms/{form_id}"
    change = {"item_values": {"PULSE": "68"}, "reason": "transcription error"}
    assert web.client.patch(url, json=change, headers=web.api("nurse.li") | {"If-Match": '"1"'}).status_code == 200
    (after,) = web.client.get(f"/api/v1/signatures/form_instance/{form_id}", headers=web.api("mon")).json()["items"]
    assert after["valid"] is False
    assert "INVALID" in after["manifestation"]


def test_a_data_manager_locks_a_form_and_writes_to_it_are_refused_until_unlocked(web: Web) -> None:
    form_id = _vs_form(web, pulse="70")
    manager = _token(web, "dm", "data-manager", None)
    lock = {"level": "form", "entity_id": form_id, "reason": "cleaned"}
    assert web.client.post("/api/v1/locks", json=lock, headers=web.api("mon")).status_code == 403
    locked = web.client.post("/api/v1/locks", json=lock, headers=manager)
    assert locked.status_code == 201, locked.text
    assert [(item["level"], item["locked_by"]) for item in locked.json()["items"]] == [("form", "dm")]
    url = f"/api/v1/subjects/{web.gz_subject}/forms/{form_id}"
    change = {"item_values": {"PULSE": "71"}, "reason": "late correction"}
    refused = web.client.patch(url, json=change, headers=web.api("nurse.li") | {"If-Match": '"1"'})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "conflict")
    no_reason = web.client.post("/api/v1/locks/unlock", json={"level": "form", "entity_id": form_id}, headers=manager)
    assert (no_reason.status_code, no_reason.json()["error"]["field"]) == (422, "reason")
    unlocked = web.client.post("/api/v1/locks/unlock", json=lock | {"reason": "query answered"}, headers=manager)
    assert (unlocked.status_code, unlocked.json()["items"]) == (200, [])
    level = web.client.post("/api/v1/locks", json=lock | {"level": "site"}, headers=manager).json()["error"]
    assert (level["field"], level["value"]) == ("level", "site")


@pytest.mark.parametrize("who", ["nurse.li", "mon"])
def test_the_primary_endpoint_needs_every_sites_data_and_a_report_folder(web: Web, who: str) -> None:
    site_bound = web.client.get("/api/v1/endpoints", headers=web.api(who))
    assert (site_bound.status_code, site_bound.json()["error"]["code"]) == (403, "forbidden")
    unconfigured = web.client.get("/api/v1/endpoints", headers=web.api("stat"))
    assert (unconfigured.status_code, unconfigured.json()["error"]["field"]) == (404, "report_dir")
