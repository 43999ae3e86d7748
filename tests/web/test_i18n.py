"""The English and Simplified Chinese catalogs: the same keys, the same placeholders, every key used exists."""

from __future__ import annotations

import re
from importlib import resources

from dermtrial.conduct.subject_status import STUDY_STATUSES
from dermtrial.safety.relatedness import RELATEDNESS
from dermtrial.services.matrix import CELL_STATES
from dermtrial.services.sessions import LANGUAGES
from dermtrial.web.i18n import catalog, from_accept_language, translator

PLACEHOLDER = re.compile(r"{(\w+)}")


def test_every_key_exists_in_every_language() -> None:
    keys = {language: set(catalog(language)) for language in LANGUAGES}
    english = keys["en"]
    assert {language: sorted(english ^ found) for language, found in keys.items()} == {lang: [] for lang in LANGUAGES}


def test_translations_keep_the_placeholders_and_are_not_empty() -> None:
    english = catalog("en")
    for language in LANGUAGES:
        for key, text in catalog(language).items():
            assert text.strip(), (language, key)
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(english[key])), (language, key)


def test_every_key_the_templates_use_is_in_the_catalog() -> None:
    templates = resources.files("dermtrial.web") / "templates"
    used: set[str] = set()
    for entry in templates.iterdir():
        used |= set(re.findall(r"""(?<![\w.])t\(\s*["']([\w.\-]+)["']""", entry.read_text(encoding="utf-8")))
    static = {key for key in used if not key.endswith(".")}
    assert sorted(static - set(catalog("en"))) == []
    assert "dashboard.title" in static
    # Keys built in the templates from a value ("state." ~ state): every value the services can give has one.
    dynamic = {
        "lang.": LANGUAGES,
        "state.": CELL_STATES,
        "subject_status.": STUDY_STATUSES,
        "review.ae.rel.": RELATEDNESS,
    }
    assert {key for key in used if key.endswith(".")} == set(dynamic)
    missing = [
        prefix + value for prefix, values in dynamic.items() for value in values if prefix + value not in catalog("en")
    ]
    assert missing == []
    # both languages: relatedness is shown as words, never as its code (NOT_RELATED)
    for language in ("en", "zh-Hans"):
        assert [c for c in RELATEDNESS if f"review.ae.rel.{c}" not in catalog(language)] == [], language


def test_a_message_is_filled_in_both_languages() -> None:
    assert (
        translator("en")("dashboard.enrolled_of_target", enrolled=3, target=8, percent=38) == "3 of 8 enrolled (38 %)"
    )
    assert translator("zh-Hans")("dashboard.enrolled_of_target", enrolled=3, target=8, percent=38) == (
        "已入组 3 例，目标 8 例（38 %）"
    )


def test_the_browser_language_chooses_the_sign_in_page_language() -> None:
    assert from_accept_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh-Hans"
    assert from_accept_language("en-GB,en;q=0.9") == "en"
    assert from_accept_language("fr-FR") == "en"
    assert from_accept_language(None) == "en"
