"""The instrument registry, metadata and packaged reference data the forms, exports and protocol use."""

from __future__ import annotations

from importlib import resources

import pytest

import dermtrial.instruments as instruments
from dermtrial.instruments import INSTRUMENT_NAMES, INSTRUMENTS
from dermtrial.instruments._reference import ReferenceDataError, load_reference
from dermtrial.instruments.pasi import _bands

CLI_NAMES = {"pasi", "pasi-response", "bsa", "spga", "dlqi", "itch", "zung-sas", "zung-sds"}


def test_instrument_names_are_exactly_the_eight_command_line_names() -> None:
    assert frozenset(CLI_NAMES) == INSTRUMENT_NAMES
    assert isinstance(INSTRUMENT_NAMES, frozenset)
    assert set(INSTRUMENTS) == CLI_NAMES
    assert all(name == entry.name == entry.metadata.name for name, entry in INSTRUMENTS.items())


def test_public_surface_is_what_all_lists() -> None:
    assert sorted(instruments.__all__) == sorted(set(instruments.__all__))
    for name in instruments.__all__:
        assert hasattr(instruments, name), name


@pytest.mark.parametrize("name", sorted(CLI_NAMES))
def test_every_instrument_states_version_source_licence_and_bilingual_item_labels(name: str) -> None:
    info = INSTRUMENTS[name].metadata
    assert info.version
    assert info.source
    assert info.licence
    assert info.items
    for item in info.items:
        assert item.code
        assert item.label_en
        assert item.label_zh
        assert item.allowed


@pytest.mark.requirement("CLIN-DLQI-02")
def test_dlqi_items_carry_the_cdisc_qrs_codes_including_107a() -> None:
    codes = [item.cdisc_code for item in INSTRUMENTS["dlqi"].metadata.items]
    assert codes == [f"DLQI1{n:02d}" for n in range(1, 7)] + ["DLQI107", "DLQI107A"] + [
        f"DLQI1{n:02d}" for n in range(8, 11)
    ]


@pytest.mark.parametrize("name", ["dlqi", "zung-sas", "zung-sds"])
@pytest.mark.requirement("CLIN-DLQI-02")
def test_copyrighted_questionnaires_ship_placeholders_not_wording(name: str) -> None:
    info = INSTRUMENTS[name].metadata
    assert info.text_shipped is False
    assert "never" in info.licence
    # Placeholders name the item by number; none is a question.
    assert all("?" not in item.label_en and "？" not in item.label_zh for item in info.items)


@pytest.mark.parametrize("name", ["pasi", "zung", "dlqi", "bsa", "spga", "itch"])
def test_reference_data_files_are_packaged_and_cite_their_source(name: str) -> None:
    assert resources.files("dermtrial.instruments").joinpath("data", f"{name}.yaml").is_file()
    data = load_reference(name)
    assert data["instrument"] == name
    assert len(data["source"]) > 40


def test_every_input_model_gives_a_json_schema_with_the_ranges() -> None:
    schema = INSTRUMENTS["pasi"].input_model.model_json_schema()
    erythema = schema["$defs"]["PasiRegion"]["properties"]["erythema"]
    assert (erythema["type"], erythema["minimum"], erythema["maximum"]) == ("integer", 0, 4)
    for entry in INSTRUMENTS.values():
        assert entry.input_model.model_json_schema()["additionalProperties"] is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({1: {"low": 0, "low_inclusive": True}}, "bands 0 and 1 leave a gap or overlap"),  # 0 % in two bands
        ({2: {"low": 11}}, "bands 1 and 2 leave a gap or overlap"),  # 10–11 % in no band
        ({6: {"high": 99}}, "must start at 0 % and end at 100 %"),
    ],
)
def test_broken_area_bands_in_the_reference_file_are_refused(
    change: dict[int, dict[str, object]], message: str
) -> None:
    data = load_reference("pasi")
    rows = [dict(row) | change.get(k, {}) for k, row in enumerate(data["area"]["bands"])]
    with pytest.raises(ReferenceDataError, match=message):
        _bands({"area": {"bands": rows}})
