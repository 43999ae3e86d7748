"""The report in a real browser (Debian's chromium driven by Playwright): it opens from the file alone (no request
leaves it but its own data: URIs), every figure loads, and axe finds no accessibility violation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, sync_playwright

from dermtrial.reports.render import ReportFiles, write_report
from tests.reports import builders

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module", params=["n8", "n0"])
def files(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    report = builders.report_eight() if request.param == "n8" else builders.report_zero(labs=True)
    return write_report(tmp_path_factory.mktemp("browser"), report)


def _violations(results: Any) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in results.response["violations"]]


def test_the_report_opens_alone_and_axe_finds_no_violation(chromium: Browser, files: ReportFiles) -> None:
    # the file is copied away from its figures folder: it must not need it
    alone = files.html.parent / "alone" / "report.html"
    alone.parent.mkdir()
    alone.write_bytes(files.html.read_bytes())
    context = chromium.new_context(viewport={"width": 1024, "height": 768})
    try:
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(alone.as_uri())
        assert page.title() == "Study report: NCT03392311 version 1.2"
        assert page.evaluate("document.documentElement.lang") == "en"
        loaded = page.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        assert loaded == [True] * len(files.figures)
        assert all(url.startswith(("file:", "data:")) for url in requests), requests
        assert _violations(Axe().run(page)) == []
    finally:
        context.close()
