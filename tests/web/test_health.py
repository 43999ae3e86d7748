"""/healthz: the database is reachable and its schema is current; otherwise 503 in the one error shape."""

from __future__ import annotations

from pathlib import Path

from dermtrial.web import create_app
from tests.web.conftest import TestClient, Web, settings_for


def test_healthz_reports_the_database_and_the_schema_revision(web: Web) -> None:
    answer = web.client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["database"]) == ("ok", "ok")
    assert body["migrations"]["current"] == body["migrations"]["head"]
    assert body["migrations"]["current_is_head"] is True


def test_healthz_is_503_on_an_empty_database(tmp_path: Path) -> None:
    app = create_app(settings_for(f"sqlite:///{tmp_path / 'empty.db'}"))
    with TestClient(app, base_url="http://testserver") as client:
        answer = client.get("/healthz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["migrations"]["current"] is None
    assert body["error"]["code"] == "unavailable"
    assert "dermtrial db upgrade" in body["error"]["message"]
