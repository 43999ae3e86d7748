"""The pages in a real browser: Debian's chromium (/usr/bin/chromium, never downloaded) driven by Playwright, against
uvicorn serving a real SQLite study in a background thread.

Screenshots of each page go to the ``screenshots`` folder (docs/screenshots/ with DERMTRIAL_SCREENSHOTS=1).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

from dermtrial.services.forms import save_form
from dermtrial.services.queries import open_query
from dermtrial.services.subjects import screen_subject
from dermtrial.services.visits import record_visit
from dermtrial.store.engine import Database
from dermtrial.store.migrate import upgrade
from dermtrial.web import create_app
from tests.conftest import NOW, PASSWORD
from tests.services.conduct_setup import enrolled
from tests.web.conftest import live_server, make_study, settings_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
TABLET = {"width": 1024, "height": 768}


def _seed(db: Database) -> None:
    """A study with an enrolled subject through day 1 and week 1 (forms entered, a query open) and two in screening."""
    study = make_study(db)
    subject = enrolled(study)
    record_visit(db, subject.crc, subject_id=subject.subject_id, visit_code="screening", visit_local="2019-07-20",
                 now=NOW)  # fmt: skip
    record_visit(db, subject.crc, subject_id=subject.subject_id, visit_code="day1", visit_local="2019-08-01", now=NOW)
    vs = save_form(db, subject.crc, subject_id=subject.subject_id, form_code="VS", now=NOW,
                   item_values={"PULSE": "72", "SYSBP": "118"})  # fmt: skip
    monitor = study.user("mon", "monitor", "GZ01")
    open_query(db, monitor, entity_type="form_instance", entity_id=vs.form_id, field="PULSE",
               text="Please confirm the pulse against the source.", now=NOW)  # fmt: skip
    nurse_sh = study.user("nurse.wu", "coordinator", "SH02")
    for day in ("2019-07-21T09:00", "2019-07-22T09:30"):
        screen_subject(db, nurse_sh, site_code="SH02", consent_version="1.0", consent_signed_local=day, now=NOW)
    study.user("lead", "data-manager", None)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn on a free 127.0.0.1 port, serving a seeded SQLite study, for the module's tests."""
    path = tmp_path_factory.mktemp("browser") / "study.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    _seed(db)
    app = create_app(settings_for(f"sqlite:///{path}"), database=db)
    try:
        with live_server(app) as url:
            yield url
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context at tablet size (1024 × 768), English."""
    context = chromium.new_context(viewport=TABLET, locale="en-GB")  # type: ignore[arg-type]
    try:
        yield context.new_page()
    finally:
        context.close()


def _sign_in(page: Page, server: str, username: str) -> None:
    page.goto(f"{server}/dashboard")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/dashboard")


def _serious(results: Any) -> list[str]:
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def _fits(page: Page) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= TABLET["width"]


def test_sign_in_see_the_dashboard_open_the_matrix_and_sign_out(server: str, page: Page, screenshots: Path) -> None:
    page.goto(f"{server}/login")
    page.screenshot(path=screenshots / "login.png", full_page=True)
    _sign_in(page, server, "nurse.li")
    assert page.get_by_role("heading", name="Study dashboard").is_visible()
    assert page.get_by_test_id("open-queries").inner_text() == "1"
    assert page.get_by_text("1 of 8 enrolled (12 %)").is_visible()
    assert _fits(page)
    page.screenshot(path=screenshots / "dashboard.png", full_page=True)
    page.get_by_role("link", name="Subject matrix").click()
    page.wait_for_url(f"{server}/subjects")
    rows = page.locator("table.matrix tbody tr")
    assert rows.count() == 1  # nurse.li reads GZ01 only
    assert rows.first.locator("th").inner_text() == "GZ01-E01"
    assert rows.first.locator("td.state-in-progress").count() >= 1  # screening: VS entered, not complete
    page.screenshot(path=screenshots / "subject-matrix.png", full_page=True)
    cell = rows.first.locator("td.cell a").first  # a scheduled visit's cell opens that visit's page
    target = cell.get_attribute("href")
    assert target is not None
    assert target.startswith("/subjects/")
    cell.click()
    page.wait_for_url(f"{server}{target}")
    assert page.get_by_role("heading", level=1).inner_text() == "Screening"
    page.go_back()
    page.wait_for_url(f"{server}/subjects")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server}/login?signed_out=1")
    assert page.get_by_text("You are signed out.").is_visible()
    page.goto(f"{server}/subjects")
    assert page.url.startswith(f"{server}/login?next=")


def test_a_form_with_a_forged_csrf_token_is_refused(server: str, page: Page) -> None:
    page.goto(f"{server}/login")
    page.locator("input[name=csrf_token]").evaluate("input => { input.value = 'forged'; }")
    page.get_by_label("User name").fill("nurse.li")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 403
    assert page.locator("[data-error-code=csrf]").is_visible()
    assert "CSRF token does not match" in page.get_by_role("alert").inner_text()


def test_no_serious_accessibility_violations_on_the_main_pages(server: str, page: Page) -> None:
    axe = Axe()
    page.goto(f"{server}/login")
    assert _serious(axe.run(page)) == []
    _sign_in(page, server, "lead")  # a data manager sees every site
    assert _serious(axe.run(page)) == []
    page.goto(f"{server}/subjects")
    assert _serious(axe.run(page)) == []
    assert page.locator("table.matrix tbody tr").count() == 3


def test_the_chinese_interface(server: str, chromium: Browser, screenshots: Path) -> None:
    context = chromium.new_context(viewport=TABLET, locale="zh-CN")  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.goto(f"{server}/login")
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        page.get_by_label("用户名").fill("mon")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{server}/dashboard")
        # signed in, the interface follows the user (English until they choose); the menu applies itself (app.js)
        page.get_by_label("Language").select_option("zh-Hans")
        page.wait_for_load_state()
        page.get_by_role("heading", name="研究概览").wait_for()
        assert _fits(page)
        page.screenshot(path=screenshots / "dashboard-zh.png", full_page=True)
    finally:
        context.close()
