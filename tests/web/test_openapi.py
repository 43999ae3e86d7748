"""The API's own OpenAPI document at /api/v1/openapi.json: every route, examples, the error shape."""

from __future__ import annotations

from tests.web.conftest import Web


def test_the_openapi_document_lists_the_api_with_examples(web: Web) -> None:
    answer = web.client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["info"]["title"] == "dermtrial API"
    assert document["servers"] == [{"url": "/api/v1"}]
    # Pinned: every path with its methods, each documented in docs/web.md. A new endpoint is added here on purpose.
    assert {path: sorted(item) for path, item in document["paths"].items()} == {
        "/me": ["get"],
        "/subjects": ["get"],
        "/subjects/{subject_id}": ["get"],
        "/subjects/{subject_id}/visits": ["get"],
        "/subjects/{subject_id}/forms": ["post"],
        "/subjects/{subject_id}/forms/{form_id}": ["get", "patch"],
        # screening, visits and forms (web/api_conduct.py)
        "/screening": ["post"],
        "/subjects/{subject_id}/eligibility": ["get", "post"],
        "/subjects/{subject_id}/eligibility-record": ["get"],
        "/subjects/{subject_id}/enrollment": ["post"],
        "/subjects/{subject_id}/visits/{visit_id}/forms": ["get"],
        "/subjects/{subject_id}/visits/{visit_id}/occurrence": ["post"],
        "/subjects/{subject_id}/visits/{visit_id}/drafts/{form_code}": ["put"],
        "/scores/pasi": ["post"],
        "/scores/{instrument}": ["post"],
        "/subjects/{subject_id}/labs/grade": ["post"],
        "/subjects/{subject_id}/labs": ["post"],
        "/subjects/{subject_id}/dose": ["post"],
        "/subjects/{subject_id}/infusions": ["post"],
        "/subjects/{subject_id}/tubes": ["post"],
        "/subjects/{subject_id}/tubes/{tube_id}/return": ["post"],
        # safety and review (web/api_review.py, web/api_review_checks.py)
        "/subjects/{subject_id}/adverse-events": ["get", "post"],
        "/subjects/{subject_id}/adverse-events/{event_id}": ["get", "patch"],
        "/subjects/{subject_id}/adverse-events/{event_id}/relatedness": ["put"],
        "/subjects/{subject_id}/adverse-events/{event_id}/sae-reports": ["post"],
        "/queries": ["get", "post"],
        "/queries/{query_id}": ["get"],
        "/queries/{query_id}/answer": ["post"],
        "/queries/{query_id}/close": ["post"],
        "/queries/{query_id}/reopen": ["post"],
        "/subjects/{subject_id}/forms/{form_id}/sdv": ["get", "put"],
        "/audit/{entity_type}/{entity_id}": ["get"],
        "/signatures": ["post"],
        "/signatures/{entity_type}/{entity_id}": ["get"],
        "/locks": ["post"],
        "/locks/unlock": ["post"],
        "/locks/{entity_type}/{entity_id}": ["get"],
        "/endpoints": ["get"],
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
