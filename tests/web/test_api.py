"""The JSON API on SQLite and PostgreSQL: happy paths, scoping by role and site, versions, validation."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Web


def _vs_visit(web: Web) -> int:
    visits = web.client.get(f"/api/v1/subjects/{web.gz_subject}/visits", headers=web.api("nurse.li")).json()
    return next(v["id"] for v in visits["items"] if v["visit_code"] == "screening")


def _new_form(web: Web, who: str = "nurse.li", **changes: Any) -> Any:
    body = {"form_code": "VS", "visit_id": _vs_visit(web), "item_values": {"PULSE": "72"}} | changes
    return web.client.post(f"/api/v1/subjects/{web.gz_subject}/forms", json=body, headers=web.api(who))


def test_me_names_the_token_user(web: Web) -> None:
    answer = web.client.get("/api/v1/me", headers=web.api("mon"))
    assert answer.status_code == 200
    assert answer.json()["username"] == "mon"


def test_subjects_are_listed_only_at_the_sites_the_user_may_read(web: Web) -> None:
    at_gz = web.client.get("/api/v1/subjects", headers=web.api("nurse.li")).json()
    at_sh = web.client.get("/api/v1/subjects", headers=web.api("nurse.wu")).json()
    everywhere = web.client.get("/api/v1/subjects", headers=web.api("stat")).json()
    assert [s["site"] for s in at_gz["items"]] == ["GZ01"]
    assert [s["site"] for s in at_sh["items"]] == ["SH02"]
    assert sorted(s["site"] for s in everywhere["items"]) == ["GZ01", "SH02"]
    assert everywhere["total"] == 2


def test_pagination_gives_total_and_the_next_page(web: Web) -> None:
    first = web.client.get("/api/v1/subjects?per_page=1", headers=web.api("stat")).json()
    assert (first["total"], len(first["items"]), first["next"]) == (2, 1, "/api/v1/subjects?page=2&per_page=1")
    second = web.client.get(first["next"], headers=web.api("stat")).json()
    assert second["next"] is None
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {web.gz_subject, web.sh_subject}


def test_a_subject_of_another_site_is_404_and_a_role_without_subject_read_is_403(web: Web) -> None:
    other = web.client.get(f"/api/v1/subjects/{web.gz_subject}", headers=web.api("nurse.wu"))
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not-found"
    admin = web.client.get(f"/api/v1/subjects/{web.gz_subject}", headers=web.api("admin"))
    assert admin.status_code == 403
    assert admin.json()["error"]["code"] == "forbidden"
    unknown = web.client.get("/api/v1/subjects/999999", headers=web.api("nurse.li"))
    assert unknown.status_code == 404
    problem = {"field": "subject_id", "message": "no subject 999999", "value": 999999}
    assert unknown.json() == {
        "error": {"status": 404, "code": "not-found", "message": "subject_id: no subject 999999",
                  "field": "subject_id", "value": 999999, "problems": [problem]}
    }  # fmt: skip


# role × site: who may read the GZ01 subject and who may enter a form for it.
ROLE_SITE = [
    ("nurse.li", 200, 201),  # coordinator at GZ01: reads and writes
    ("dr.wang", 200, 201),  # investigator at GZ01: reads and writes
    ("mon", 200, 403),  # monitor at GZ01: reads; entering data is not a monitor's action
    ("stat", 200, 403),  # statistician, every site: reads only
    ("nurse.wu", 404, 404),  # coordinator at SH02: the GZ01 subject does not exist for them
    ("admin", 403, 403),  # administrator: no clinical data at all
]


def test_role_and_site_matrix(web: Web) -> None:
    visit = _vs_visit(web)
    seen = []
    for who, _read, _write in ROLE_SITE:
        read = web.client.get(f"/api/v1/subjects/{web.gz_subject}", headers=web.api(who)).status_code
        body = {"form_code": "DM" if who == "dr.wang" else "VS", "visit_id": visit, "item_values": {}}
        write = web.client.post(f"/api/v1/subjects/{web.gz_subject}/forms", json=body, headers=web.api(who))
        seen.append((who, read, write.status_code))
    assert seen == ROLE_SITE


def test_subject_detail_carries_its_version_as_etag_and_answers_304_when_unchanged(web: Web) -> None:
    answer = web.client.get(f"/api/v1/subjects/{web.gz_subject}", headers=web.api("nurse.li"))
    assert answer.status_code == 200
    assert answer.headers["ETag"] == f'"{answer.json()["version"]}"'
    again = web.client.get(
        f"/api/v1/subjects/{web.gz_subject}", headers=web.api("nurse.li") | {"If-None-Match": answer.headers["ETag"]}
    )
    assert again.status_code == 304


def test_visits_of_a_subject_follow_the_schedule(web: Web) -> None:
    visits = web.client.get(f"/api/v1/subjects/{web.gz_subject}/visits", headers=web.api("mon")).json()["items"]
    assert visits[0]["visit_code"] == "screening"
    assert all(v["forms"] == [] or v["forms"][0]["subject_id"] == web.gz_subject for v in visits)


def test_a_form_is_entered_then_changed_with_if_match_and_a_stale_version_is_412(web: Web) -> None:
    made = _new_form(web)
    assert made.status_code == 201, made.text
    form = made.json()
    assert (form["version"], made.headers["ETag"], made.headers["Location"]) == (
        1, '"1"', f"/api/v1/subjects/{web.gz_subject}/forms/{form['id']}"
    )  # fmt: skip
    url = f"/api/v1/subjects/{web.gz_subject}/forms/{form['id']}"
    change = {"item_values": {"PULSE": "74"}, "reason": "transcription error"}
    changed = web.client.patch(url, json=change, headers=web.api("nurse.li") | {"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["item_values"]["PULSE"], changed.headers["ETag"]) == ("74", '"2"')
    stale = web.client.patch(url, json=change, headers=web.api("dr.wang") | {"If-Match": '"1"'})
    assert stale.status_code == 412
    error = stale.json()["error"]
    assert (error["status"], error["code"], error["field"]) == (412, "precondition-failed", "If-Match")
    assert "you read version 1, it is now 2" in error["message"]
    missing = web.client.patch(url, json=change, headers=web.api("dr.wang"))
    assert missing.status_code == 428
    assert web.client.get(url, headers=web.api("mon")).json()["item_values"]["PULSE"] == "74"


def test_bad_input_is_422_naming_the_field_the_value_and_what_is_allowed(web: Web) -> None:
    item = _new_form(web, item_values={"PULSE": "900"}).json()["error"]
    assert (item["status"], item["code"], item["field"], item["value"]) == (
        422,
        "invalid-input",
        "item_values.PULSE",
        "900",
    )
    assert item["allowed"] == "20.0–220.0 1/min"
    query = web.client.get("/api/v1/subjects?per_page=500", headers=web.api("stat")).json()["error"]
    assert (query["field"], query["value"], query["allowed"], query["problems"][0]["in"]) == (
        "per_page", "500", "1–200", "query"
    )  # fmt: skip
    body = web.client.post(
        f"/api/v1/subjects/{web.gz_subject}/forms",
        json={"form_code": "VS", "visit_id": 0, "item_values": {}, "colour": "red"},
        headers=web.api("nurse.li"),
    ).json()["error"]
    fields = {p["field"]: p for p in body["problems"]}
    assert (fields["visit_id"]["value"], fields["visit_id"]["allowed"]) == (0, ">= 1")
    assert fields["colour"]["allowed"] == "no such field"
    status = web.client.get("/api/v1/subjects?status=asleep", headers=web.api("stat")).json()["error"]
    assert (status["field"], status["value"]) == ("status", "asleep")
    assert status["allowed"].startswith("one of screening, screen-failed, enrolled")
