"""Canonical endpoints.json bytes and the data SHA-256 of the input."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math

import pytest

from dermtrial.analysis.input import frame_from_rows, parse_assessments_csv
from dermtrial.analysis.output import canonical_input_text, data_sha256, endpoints_json_bytes
from tests.analysis._study import analyse, pair_study

D1, D2 = dt.date(2019, 8, 1), dt.date(2019, 10, 24)


def test_the_canonical_input_text_by_hand() -> None:
    frame = frame_from_rows([("S2", None, D1, 50), ("S,1", D1, D2, 23), ("S,1", D1, D1, 123), ("S3", D1, None, None)])
    assert canonical_input_text(frame) == (
        "dermtrial-pasi-input-1\n"
        "3:S,1,2019-08-01,2019-08-01,123\n"
        "3:S,1,2019-08-01,2019-10-24,23\n"
        "2:S2,,2019-08-01,50\n"
        "2:S3,2019-08-01,,\n"
    )
    assert data_sha256(frame) == hashlib.sha256(canonical_input_text(frame).encode()).hexdigest()


def test_the_hash_ignores_extra_columns_and_spacing_but_not_a_value() -> None:
    plain = b"subject,first_treatment_date,assessment_date,pasi\nS1,2019-08-01,2019-08-01,12.3\n"
    extra = b"note,pasi,subject,first_treatment_date,assessment_date\nx, 12.30 ,S1,2019-08-01,2019-08-01\n"
    changed = b"subject,first_treatment_date,assessment_date,pasi\nS1,2019-08-01,2019-08-01,12.4\n"
    assert data_sha256(parse_assessments_csv(plain, "a")) == data_sha256(parse_assessments_csv(extra, "b"))
    assert data_sha256(parse_assessments_csv(plain, "a")) != data_sha256(parse_assessments_csv(changed, "c"))


def test_endpoints_json_is_sorted_indented_and_ends_with_a_line_feed() -> None:
    data = endpoints_json_bytes({"b": 1, "a": {"d": None, "c": [1.5, "é"]}})
    assert data == b'{\n  "a": {\n    "c": [\n      1.5,\n      "\xc3\xa9"\n    ],\n    "d": null\n  },\n  "b": 1\n}\n'


def test_nan_is_refused() -> None:
    with pytest.raises(ValueError, match="JSON"):
        endpoints_json_bytes({"x": math.nan})


def test_the_same_study_twice_gives_byte_identical_files_without_any_timestamp() -> None:
    first = endpoints_json_bytes(analyse(pair_study([("20.0", "5.0"), ("12.3", "3.0"), ("0", "1.0")])).endpoints)
    again = endpoints_json_bytes(analyse(pair_study([("20.0", "5.0"), ("12.3", "3.0"), ("0", "1.0")])).endpoints)
    assert first == again
    text = first.decode()
    assert str(dt.datetime.now(dt.UTC).year) not in text.replace("2019", "")


def test_every_float_has_at_most_10_significant_digits() -> None:
    endpoints = analyse(pair_study([("20.0", "5.0"), ("12.3", "3.0"), ("7.7", "2.1")])).endpoints

    def floats(value: object) -> list[float]:
        if isinstance(value, float):
            return [value]
        if isinstance(value, dict):
            return [f for v in value.values() for f in floats(v)]
        if isinstance(value, list):
            return [f for v in value for f in floats(v)]
        return []

    found = floats(json.loads(endpoints_json_bytes(endpoints)))
    assert found
    assert all(float(f"{f:.10g}") == f for f in found)
