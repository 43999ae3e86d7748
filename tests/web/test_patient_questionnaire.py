"""The Zung questionnaires as the patient sees them, on SQLite and PostgreSQL: neutral question numbers (or the site's
licensed wording from DERMTRIAL_LICENSED_TEXT_DIR), never a scoring hint or the score; the site reads the result on
the review page. Relatedness is shown as words in both languages, never as its code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from dermtrial.services.sessions import set_language
from dermtrial.web import create_app
from tests.conftest import NOW
from tests.web.conftest import Web, form_token, settings_for, sign_in

if TYPE_CHECKING:
    from starlette.responses import Response

#: Scoring hints that must never reach the patient's screen (English and Chinese placeholders of the metadata).
HINTS = ("reverse", "反向", "Raw score", "粗分", "index", "指数")


def _url(web: Web, code: str = "SAS") -> str:
    visits = web.client.get(f"/api/v1/subjects/{web.gz_subject}/visits", headers=web.api("nurse.li")).json()["items"]
    visit = next(v["id"] for v in visits if v["visit_code"] == "screening")
    return f"/subjects/{web.gz_subject}/visits/{visit}/forms/{code}"


def _questionnaire(page: Response) -> str:
    """The text the page's main content shows (tags removed; the menu left out)."""
    text = page.text
    return re.sub(r"<[^>]+>", " ", text[text.index("<main") : text.index("</main>")])


def _hints(shown: str) -> list[str]:
    return [hint for hint in HINTS if re.search(rf"(?<![A-Za-z]){hint}", shown, re.IGNORECASE)]


def test_the_patient_sees_neutral_questions_and_no_score(web: Web, browser: TestClient) -> None:
    sign_in(browser, "nurse.li")
    url = _url(web, "SDS")
    page = browser.get(url)
    shown = _questionnaire(page)
    assert [int(n) for n in re.findall(r"Question (\d+)", shown)] == list(range(1, 21))
    assert _hints(shown) == []
    answers = {f"SDS{n:02d}": str(1 + n % 4) for n in range(1, 21)}
    saved = browser.post(
        url, data=answers | {"csrf_token": form_token(page.text), "action": "complete"}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    done = _questionnaire(browser.get(saved.headers["location"]))
    assert "Thank you: your answers are saved." in done
    assert _hints(done) == []  # the score is not shown to the patient
    review = re.search(r'href="(/subjects/\d+/forms/\d+/review)"', browser.get(saved.headers["location"]).text)
    assert review is not None
    result = browser.get(review.group(1)).text  # the site reads the instrument's result on the review page
    raw = sum((5 - a) if n in {2, 5, 6, 11, 12, 14, 16, 17, 18, 20} else a for n, a in
              ((n, 1 + n % 4) for n in range(1, 21)))  # fmt: skip
    assert re.search(rf"raw <strong>{raw}</strong>", result)


def test_the_patient_sees_the_questions_in_chinese(web: Web, browser: TestClient) -> None:
    patient_tablet = web.study.user("nurse.zh", "coordinator", "GZ01")
    set_language(web.study.db, patient_tablet, language="zh-Hans", now=NOW)
    sign_in(browser, "nurse.zh")
    shown = _questionnaire(browser.get(_url(web)))
    assert re.findall(r"(第\d+题)", shown)[:2] == ["第1题", "第2题"]
    assert _hints(shown) == []


def test_the_sites_licensed_wording_is_shown_when_configured(web: Web, tmp_path: Path) -> None:
    folder = tmp_path / "licensed"
    folder.mkdir()
    items = "\n".join(
        f'  SAS{n:02d}: {{text: "Licensed statement {n}", options: {{"1": "never", "4": "always"}}}}'
        for n in range(1, 21)
    )
    (folder / "zung-sas.en.yaml").write_text(
        f'instrument: zung-sas\nlanguage: en\nlicence: "site licence 42"\nitems:\n{items}\n', encoding="utf-8"
    )
    (folder / "zung-sds.en.yaml").write_text("instrument: zung-sds\nlanguage: en\nitems: {}\n", encoding="utf-8")
    url = web.study.db.url.render_as_string(hide_password=False)
    app = create_app(settings_for(url, licensed_text_dir=str(folder)), database=web.study.db)
    with TestClient(app, base_url="http://testserver") as tablet:
        sign_in(tablet, "nurse.li")
        shown = _questionnaire(tablet.get(_url(web)))
        assert re.search(r"Question 7\s+Licensed statement 7\s", shown)
        assert "never" in shown  # the licensed answer wording where given, the neutral one otherwise
        assert "sometimes" in shown
        refused = tablet.get(_url(web, "SDS"))  # a file that does not pass the check names the file and the field
        assert refused.status_code == 422
        assert "zung-sds.en.yaml" in refused.text
        assert "licence" in refused.text
