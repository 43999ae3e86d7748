"""Property-based API test: schemathesis generates requests from /api/v1/openapi.json and no answer is a 5xx.

The API is served by uvicorn on a free 127.0.0.1 port over a SQLite study (as the browser tests do), and the
requests carry a coordinator's bearer token, so generated cases reach the services rather than stopping at 401.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from dermtrial.services.api_tokens import create_api_token
from dermtrial.store.engine import Database
from dermtrial.store.migrate import upgrade
from dermtrial.web import create_app
from tests.conftest import NOW
from tests.web.conftest import live_server, make_study, settings_for

TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The API's OpenAPI document, loaded from the running server."""
    path = tmp_path_factory.mktemp("schemathesis") / "study.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    study = make_study(db)
    nurse = study.user("nurse.li", "coordinator", "GZ01")
    TOKEN["value"] = create_api_token(db, nurse, name="schemathesis", now=NOW).token
    app = create_app(settings_for(f"sqlite:///{path}"), database=db)
    try:
        with live_server(app) as url:
            yield schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")
    finally:
        db.dispose()


def test_no_generated_request_gets_a_server_error(api_schema: Any) -> None:
    checked, statuses = [], set()
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_5xx(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {TOKEN['value']}"})
            statuses.add(response.status_code)
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)

        no_5xx()
        checked.append(f"{operation.method.upper()} {operation.path}")
    methods = {"get", "put", "post", "patch", "delete"}
    document = sum(1 for path in api_schema.raw_schema["paths"].values() for method in path if method in methods)
    assert len(checked) == document >= 7  # every operation of the document
    assert {200, 404, 422} <= statuses  # generated requests reached the services, not only the validation
