"""A site's licensed questionnaire text is loaded from its own file and checked against the item codes."""

from __future__ import annotations

import pytest
import yaml

from dermtrial.errors import InvalidInput
from dermtrial.instruments import INSTRUMENTS
from dermtrial.instruments.licensed_text import parse_licensed_text

DLQI = INSTRUMENTS["dlqi"].metadata
CODES = [item.code for item in DLQI.items]


def licensed_file(**changes: object) -> str:
    # Stand-in text written for this test: not the DLQI wording.
    data: dict[str, object] = {
        "instrument": "dlqi",
        "language": "en",
        "licence": "Test licence reference 0001",
        "items": {code: {"text": f"Licensed text of {code}", "options": {"0": "zero"}} for code in CODES},
    }
    data.update(changes)
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.mark.requirement("CLIN-DLQI-02")
def test_a_complete_licensed_file_loads_every_item() -> None:
    text = parse_licensed_text(licensed_file(), source="site/dlqi-en.yaml", instrument=DLQI)
    assert set(text.items) == set(CODES)
    assert text.items["q7.problem"].text == "Licensed text of q7.problem"
    assert text.items["q1"].options == {"0": "zero"}
    assert text.licence == "Test licence reference 0001"


def problems(text: str) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_licensed_text(text, source="site/dlqi.yaml", instrument=DLQI)
    return [p.format() for p in caught.value.problems]


def test_missing_item_unknown_item_and_empty_licence_are_each_named() -> None:
    items = {code: {"text": "t"} for code in CODES if code != "q4"} | {"q11": {"text": "t"}}
    assert problems(licensed_file(items=items, licence="")) == [
        "site/dlqi.yaml: licence: required: the licence this text is used under",
        "site/dlqi.yaml: items.q11: unknown item code (allowed: " + ", ".join(CODES) + ")",
        "site/dlqi.yaml: items.q4: required field is missing",
    ]


def test_a_file_for_another_instrument_is_refused() -> None:
    assert problems(licensed_file(instrument="zung-sds")) == [
        "site/dlqi.yaml: instrument: 'zung-sds' is not allowed: must be 'dlqi'"
    ]


def test_broken_yaml_names_the_line() -> None:
    assert problems("instrument: dlqi\nitems: [unclosed\n") == [
        "site/dlqi.yaml:3: (top level): not valid YAML: expected ',' or ']', but got '<stream end>'"
    ]
