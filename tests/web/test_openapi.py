"""The API's own OpenAPI document at /api/v1/openapi.json: every route, examples, the error shape."""

from __future__ import annotations

from tests.web.conftest import Web


def test_the_openapi_document_lists_the_api_with_examples(web: Web) -> None:
    answer = web.client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["info"]["title"] == "dermtrial API"
    assert document["servers"] == [{"url": "/api/v1"}]
    assert set(document["paths"]) == {
        "/me",
        "/subjects",
        "/subjects/{subject_id}",
        "/subjects/{subject_id}/visits",
        "/subjects/{subject_id}/forms",
        "/subjects/{subject_id}/forms/{form_id}",
        # safety and review (web/api_review.py)
        "/subjects/{subject_id}/adverse-events",
        "/subjects/{subject_id}/adverse-events/{event_id}",
        "/subjects/{subject_id}/adverse-events/{event_id}/relatedness",
        "/subjects/{subject_id}/adverse-events/{event_id}/sae-reports",
        "/queries",
        "/queries/{query_id}",
        "/queries/{query_id}/answer",
        "/queries/{query_id}/close",
        "/queries/{query_id}/reopen",
        "/subjects/{subject_id}/forms/{form_id}/sdv",
        "/audit/{entity_type}/{entity_id}",
        "/signatures",
        "/signatures/{entity_type}/{entity_id}",
        "/locks",
        "/locks/unlock",
        "/locks/{entity_type}/{entity_id}",
        "/endpoints",
    }
    schemas = document["components"]["schemas"]
    assert schemas["Subject"]["examples"][0]["site"] == "GZ01"
    assert schemas["FormCreate"]["examples"][0]["form_code"] == "VS"
    change = document["paths"]["/subjects/{subject_id}/forms/{form_id}"]["patch"]
    assert {"412", "428", "404", "401", "403", "422"} <= set(change["responses"])
    example = change["responses"]["412"]["content"]["application/json"]["example"]
    assert example["error"]["code"] == "precondition-failed"


def test_the_pages_are_not_in_the_api_document(web: Web) -> None:
    document = web.client.get("/api/v1/openapi.json").json()
    assert not any(path.startswith(("/login", "/dashboard")) for path in document["paths"])
    assert web.client.get("/openapi.json").status_code == 404
