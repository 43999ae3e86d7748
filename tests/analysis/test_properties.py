"""Invariants on random studies: responders equal the instruments module's flags subject by subject, improvement at
most 100 %, identical bytes for the same data in any row order, the same hash from a CSV and from a frame."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dermtrial.analysis.input import frame_from_rows, parse_assessments_csv
from dermtrial.analysis.output import data_sha256, endpoints_json_bytes
from dermtrial.instruments.pasi_response import RESPONSE_THRESHOLDS, is_responder
from tests.analysis._study import FIRST, HEADER, analyse, date_of

# A subject: (baseline tenths or None, week-12 tenths, week-12 study day, extra post-baseline (day, tenths) or None)
subject_strategy = st.tuples(
    st.one_of(st.none(), st.integers(0, 720)),
    st.integers(0, 720),
    st.integers(78, 92),
    st.one_of(st.none(), st.tuples(st.integers(2, 81), st.integers(0, 720))),
)
studies = st.lists(subject_strategy, min_size=1, max_size=12)


def rows_of(
    study: list[tuple[int | None, int, int, tuple[int, int] | None]],
) -> list[tuple[str, dt.date, dt.date, int]]:
    rows = []
    for i, (baseline, week12, day, extra) in enumerate(study):
        subject = f"S{i:02d}"
        if baseline is not None:
            rows.append((subject, FIRST, date_of(1), baseline))
        rows.append((subject, FIRST, date_of(day), week12))
        if extra is not None and extra[0] != day:
            rows.append((subject, FIRST, date_of(extra[0]), extra[1]))
    return rows


def csv_bytes(rows: list[tuple[str, dt.date, dt.date, int]]) -> bytes:
    lines = [f"{s},{f.isoformat()},{a.isoformat()},{t // 10}.{t % 10}" for s, f, a, t in rows]
    return (HEADER + "\n" + "\n".join(lines) + "\n").encode("utf-8")


@settings(max_examples=60, deadline=None)
@given(studies, st.sampled_from(["observed", "nri", "locf"]))
def test_responder_flags_and_counts_equal_is_responder_subject_by_subject(study: list, rule: str) -> None:  # type: ignore[type-arg]
    result = analyse(frame_from_rows(rows_of(study)), rule)
    per_subject = result.endpoints["primary"]["per_subject"]
    for row in per_subject:
        if row["improvement_percent"] is None:
            expected = {f"pasi{t}": (False if rule == "nri" else None) for t in RESPONSE_THRESHOLDS}
        else:
            baseline, week12 = round(row["baseline"] * 10), round(row["week12"] * 10)
            expected = {f"pasi{t}": is_responder(baseline, week12, t) for t in RESPONSE_THRESHOLDS}
            assert row["improvement_percent"] <= 100
        assert row["responders"] == expected
    for threshold in RESPONSE_THRESHOLDS:
        rate = result.endpoints["responders"][f"pasi{threshold}"]
        assert rate["n"] == sum(1 for r in per_subject if r["responders"][f"pasi{threshold}"])
        counted = len(per_subject) if rule == "nri" else result.endpoints["primary"]["n"]
        assert rate["of"] == counted
    primary = result.endpoints["primary"]
    assert primary["n"] + primary["n_missing"] == len(per_subject) == len(study)
    maximum = primary["improvement_percent"]["max"]
    assert maximum is None or maximum <= 100


@settings(max_examples=60, deadline=None)
@given(studies)
def test_observed_week12_is_inside_the_window_and_baseline_on_or_before_day_1(study: list) -> None:  # type: ignore[type-arg]
    result = analyse(frame_from_rows(rows_of(study)))
    for row in result.endpoints["primary"]["per_subject"]:
        assert row["week12_study_day"] is None or 82 <= row["week12_study_day"] <= 88
        assert row["baseline_study_day"] is None or row["baseline_study_day"] <= 1


@settings(max_examples=40, deadline=None)
@given(studies, st.randoms(use_true_random=False), st.sampled_from(["observed", "nri", "locf"]))
def test_row_order_of_the_csv_does_not_change_a_byte(study: list, shuffler: random.Random, rule: str) -> None:  # type: ignore[type-arg]
    rows = rows_of(study)
    shuffled = rows[:]
    shuffler.shuffle(shuffled)
    first = analyse(parse_assessments_csv(csv_bytes(rows), "a.csv"), rule)
    again = analyse(parse_assessments_csv(csv_bytes(rows), "a.csv"), rule)
    other = analyse(parse_assessments_csv(csv_bytes(shuffled), "b.csv"), rule)
    assert endpoints_json_bytes(first.endpoints) == endpoints_json_bytes(again.endpoints)
    assert endpoints_json_bytes(first.endpoints) == endpoints_json_bytes(other.endpoints)
    assert first.methods == other.methods
    assert first.pasi.equals(other.pasi)


@settings(max_examples=40, deadline=None)
@given(studies)
def test_the_data_hash_is_the_same_from_a_csv_and_from_a_frame(study: list) -> None:  # type: ignore[type-arg]
    rows = rows_of(study)
    from_csv = parse_assessments_csv(csv_bytes(rows), "a.csv")
    assert data_sha256(from_csv) == data_sha256(frame_from_rows(rows))
    assert data_sha256(from_csv) == analyse(from_csv).endpoints["data_sha256"]
