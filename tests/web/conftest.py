"""Web fixtures: the app over the ``study`` database (SQLite and PostgreSQL), people at two sites, API tokens.

People: ``nurse.li`` coordinator and ``dr.wang`` investigator at GZ01, ``nurse.wu`` coordinator at SH02, ``mon``
monitor at GZ01, ``stat`` statistician (every site, read only) and the administrator ``admin`` (no clinical data).
Subjects: one screened at GZ01 with its protocol visits scheduled (as enrollment does; eligibility and enrollment are
the conduct tests' subject, left out here to keep the web tests fast) and one in screening at SH02.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette 1.0 prefers the httpx2 package for its test client; the lock has httpx, which still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from dermtrial.services import Actor
from dermtrial.services.accounts import init_database
from dermtrial.services.api_tokens import create_api_token
from dermtrial.services.auth import login
from dermtrial.services.studies import add_site, create_study
from dermtrial.services.subjects import load_subject, screen_subject
from dermtrial.services.uow import unit_of_work
from dermtrial.services.visits import schedule_visits
from dermtrial.store.engine import Database
from dermtrial.web import Settings, create_app
from tests.conftest import ADMIN_PASSWORD, NOW, PASSWORD, StudySetup

SECRET = "test-secret-0123456789-abcdefghijklmnop"
SCREENSHOTS_ENV = "DERMTRIAL_SCREENSHOTS"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def for_docs() -> bool:
    """True when the run refreshes the docs' screenshots (``DERMTRIAL_SCREENSHOTS=1``, as ``make docs`` sets)."""
    return os.environ.get(SCREENSHOTS_ENV) == "1"


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a browser test saves its screenshots: docs/screenshots/ when ``DERMTRIAL_SCREENSHOTS=1``, otherwise the
    test's own tmp_path (the screenshots are still taken, so ``make test`` leaves the tracked images alone)."""
    folder = DOCS_SCREENSHOTS if for_docs() else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def report_folder(tmp: Path, name: str) -> Path:
    """The report folder of a served study. For the docs' screenshots it has a fixed name
    (``<system temp>/dermtrial-<name>/report``, emptied first) so the report page shows the same path on every run;
    otherwise a folder under ``tmp`` (runs never share it)."""
    if not for_docs():
        return tmp / "report"
    fixed = Path(tempfile.gettempdir()) / f"dermtrial-{name}"
    shutil.rmtree(fixed, ignore_errors=True)
    return fixed / "report"


def settings_for(url: str, **changes: object) -> Settings:
    """Settings for tests: a fixed secret, cookies over plain HTTP, the TestClient's host allowed."""
    values: dict[str, object] = {
        "database_url": url,
        "secret_key": SECRET,
        "cookie_secure": False,
        "allowed_hosts": ("testserver", "127.0.0.1"),
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Web:
    """The app under test and what it holds."""

    study: StudySetup
    client: TestClient
    gz_subject: int
    sh_subject: int
    people: dict[str, Actor]
    tokens: dict[str, str]

    def api(self, who: str) -> dict[str, str]:
        """The Authorization header of ``who``."""
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def web_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated database per engine, shared by the tests of one module (each test changes only its own records)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path_factory.mktemp("web") / "study.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("_postgres").fresh()
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()
        if request.param == "postgresql":
            request.getfixturevalue("_postgres").drop(url)


def make_study(db: Database) -> StudySetup:
    """The set-up of the ``study`` fixture (roles, administrator, NCT03392311, sites GZ01 and SH02) on ``db``."""
    init_database(db, username="admin", full_name="Ada Admin", password=ADMIN_PASSWORD, now=NOW)
    admin = login(db, username="admin", password=ADMIN_PASSWORD, now=NOW).actor
    study_id = create_study(db, admin, protocol="NCT03392311", now=NOW)
    sites = {
        code: add_site(db, admin, code=code, name=name, timezone="Asia/Shanghai", now=NOW)
        for code, name in (("GZ01", "Guangzhou"), ("SH02", "Shanghai"))
    }
    return StudySetup(db, admin, study_id, sites)


@pytest.fixture(scope="module")
def web(web_db: Database) -> Iterator[Web]:
    """The app over a study with two sites, their people and two subjects (one per module and engine)."""
    study = make_study(web_db)
    people = {
        "nurse.li": study.user("nurse.li", "coordinator", "GZ01"),
        "dr.wang": study.user("dr.wang", "investigator", "GZ01"),
        "nurse.wu": study.user("nurse.wu", "coordinator", "SH02"),
        "mon": study.user("mon", "monitor", "GZ01"),
        "stat": study.user("stat", "statistician", None),
        "admin": study.admin,
    }
    gz_subject = screen_subject(
        study.db, people["nurse.li"], site_code="GZ01", consent_version="1.0",
        consent_signed_local="2019-07-10T10:00", now=NOW,
    )  # fmt: skip
    with unit_of_work(study.db, actor=people["nurse.li"], now=NOW) as work:
        schedule_visits(work, load_subject(work, gz_subject, "form.write"))
    sh_subject = screen_subject(
        study.db, people["nurse.wu"], site_code="SH02", consent_version="1.0",
        consent_signed_local="2019-07-11T09:00", now=NOW,
    )  # fmt: skip
    tokens = {name: create_api_token(study.db, actor, name="tests", now=NOW).token for name, actor in people.items()}
    app = create_app(settings_for(study.db.url.render_as_string(hide_password=False)), database=study.db)
    with TestClient(app, base_url="http://testserver") as client:
        yield Web(study, client, gz_subject, sh_subject, people, tokens)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form (with its CSRF token)."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": form_token(page.text), "next": "/dashboard"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def form_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.fixture
def browser(web: Web) -> Iterator[TestClient]:
    """A client with no cookies yet (one browser), over the module's app."""
    with TestClient(web.client.app, base_url="http://testserver") as client:
        yield client


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread on a free 127.0.0.1 port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        threading.Event().wait(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()
