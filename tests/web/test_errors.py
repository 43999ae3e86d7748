"""The one error shape, pinned: every error of the API and the pages carries status, code, message and, when known,
the field, the value and what is allowed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import Web, sign_in

SHAPE = {"status", "code", "message"}
OPTIONAL = {"field", "value", "allowed", "problems"}


def _check_shape(body: dict[str, object], status: int, code: str) -> dict[str, object]:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert SHAPE <= set(error) <= SHAPE | OPTIONAL
    assert (error["status"], error["code"]) == (status, code)
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


def test_every_api_error_has_the_one_shape(web: Web) -> None:
    cases = [
        (web.client.get("/api/v1/subjects"), 401, "unauthenticated"),  # no token
        (web.client.get("/api/v1/subjects", headers={"Authorization": "Bearer dt_nope"}), 401, "unauthenticated"),
        (web.client.get("/api/v1/subjects", headers=web.api("admin")), 403, "forbidden"),
        (web.client.get("/api/v1/subjects/424242", headers=web.api("stat")), 404, "not-found"),
        (web.client.get("/api/v1/no-such-thing", headers=web.api("stat")), 404, "not-found"),
        (web.client.delete("/api/v1/subjects", headers=web.api("stat")), 405, "method-not-allowed"),
        (web.client.get("/api/v1/subjects?page=0", headers=web.api("stat")), 422, "invalid-input"),
    ]
    for answer, status, code in cases:
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/json"
        _check_shape(answer.json(), status, code)


def test_the_shape_of_a_validation_error_is_pinned(web: Web) -> None:
    answer = web.client.get("/api/v1/subjects?page=0", headers=web.api("stat"))
    assert answer.json() == {
        "error": {
            "status": 422,
            "code": "invalid-input",
            "message": 'page: "0" is not allowed: must be >= 1',
            "field": "page",
            "value": "0",
            "allowed": "1–100000",
            "problems": [
                {"field": "page", "message": '"0" is not allowed: must be >= 1', "value": "0", "allowed": "1–100000",
                 "in": "query"}
            ],
        }
    }  # fmt: skip


def test_a_401_tells_the_client_how_to_authenticate(web: Web) -> None:
    answer = web.client.get("/api/v1/me")
    assert answer.headers["www-authenticate"] == 'Bearer realm="dermtrial"'
    assert "Authorization: Bearer" in answer.json()["error"]["message"]


def test_an_html_page_renders_the_same_fields(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    page = browser.get("/subjects?site=" + "X" * 40)
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-error-code="invalid-input"' in page.text
    assert "<code>site</code>" in page.text
    missing = browser.get("/no-such-page")
    assert missing.status_code == 404
    assert 'data-error-code="not-found"' in missing.text


def test_a_client_asking_for_json_gets_json_from_a_page(web: Web, browser: TestClient) -> None:
    answer = browser.get("/no-such-page", headers={"accept": "application/json"})
    _check_shape(answer.json(), 404, "not-found")
