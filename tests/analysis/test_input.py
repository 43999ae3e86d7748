"""Reading the long CSV: types, exact tenths, and every refusal naming the line, column, value and what is allowed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from dermtrial.analysis.input import (
    AnalysisInputError,
    check_assessment_frame,
    frame_from_rows,
    read_assessments_csv,
)
from tests.analysis._study import HEADER, write_csv


def refusal(path: Path) -> list[str]:
    with pytest.raises(AnalysisInputError) as caught:
        read_assessments_csv(path)
    return caught.value.messages


def test_reads_types_and_exact_tenths_ignoring_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "site,pasi,subject,assessment_date,first_treatment_date,note\n"
        "01,12.3,S01,2019-08-01,2019-08-01,x\n"
        "01,2.30,S01,2019-10-24,2019-08-01,\n"
        "01,72,S02,2019-08-01,,never treated\n"
        "01,0.1, S03 ,2019-08-01,2019-08-01,\n",
        encoding="utf-8",
    )
    frame = read_assessments_csv(path)
    assert frame.schema == pl.Schema(
        {"subject": pl.Utf8, "first_treatment_date": pl.Date, "assessment_date": pl.Date, "pasi_tenths": pl.Int64}
    )
    first = dt.date(2019, 8, 1)
    assert frame.rows() == [
        ("S01", first, first, 123),
        ("S01", first, dt.date(2019, 10, 24), 23),
        ("S02", None, first, 720),
        ("S03", first, first, 1),  # spaces around a value are dropped
    ]


def test_byte_order_mark_crlf_and_blank_lines_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + (HEADER + "\r\nS01,2019-08-01,2019-08-01,10\r\n\r\nS01,2019-08-01,2019-10-24,x\r\n").encode()
    )
    assert refusal(path) == [
        f'{path}:4: pasi: "x" is not a number: expected a PASI from 0 to 72 with at most one decimal'
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("72.1", '"72.1" is outside 0–72 (the PASI range)'),  # just above the top
        ("-0.1", '"-0.1" is outside 0–72 (the PASI range)'),  # just below 0
        ("100", '"100" is outside 0–72 (the PASI range)'),
        ("12.34", '"12.34" is not a multiple of 0.1: a PASI has at most one decimal'),
        ("12.05", '"12.05" is not a multiple of 0.1: a PASI has at most one decimal'),
        ("abc", '"abc" is not a number: expected a PASI from 0 to 72 with at most one decimal'),
        ("1e1", '"1e1" is not a number: expected a PASI from 0 to 72 with at most one decimal'),
        ("nan", '"nan" is not a number: expected a PASI from 0 to 72 with at most one decimal'),
        (
            "",
            "the PASI is empty: expected a PASI from 0 to 72 with at most one decimal "
            "(leave out an assessment not done)",
        ),
    ],
)
def test_bad_pasi_names_line_column_value_and_range(tmp_path: Path, value: str, message: str) -> None:
    path = write_csv(
        tmp_path / "p.csv", [("S01", "2019-08-01", "2019-08-01", "10"), ("S01", "2019-08-01", "2019-08-02", value)]
    )
    assert refusal(path) == [f"{path}:3: pasi: {message}"]


@pytest.mark.parametrize("value", ["72", "72.0", "0", "0.0", "0.1", "71.9", "12.30"])
def test_pasi_edges_inside_the_range_are_accepted(tmp_path: Path, value: str) -> None:
    path = write_csv(tmp_path / "ok.csv", [("S01", "2019-08-01", "2019-08-01", value)])
    assert read_assessments_csv(path)["pasi_tenths"].to_list() == [round(float(value) * 10)]


@pytest.mark.parametrize(("value", "tenths"), [("+5", 50), (".5", 5), ("+.5", 5), ("-0", 0), ("5.", 50), ("0072", 720)])
def test_rarer_spellings_of_a_valid_pasi_are_read_exactly_among_usual_rows(
    tmp_path: Path, value: str, tenths: int
) -> None:
    # These cells miss the fast pattern; they must be read exactly (not crash, not be refused), in their row.
    rows = [("S01", "2019-08-01", "2019-07-30", "12.3"), ("S01", "2019-08-01", "2019-08-01", value)]
    rows.append(("S02", "", "2019-07-30", "20"))
    frame = read_assessments_csv(write_csv(tmp_path / "rare.csv", rows))
    assert frame["pasi_tenths"].to_list() == [123, tenths, 200]
    assert frame["subject"].to_list() == ["S01", "S01", "S02"]


@pytest.mark.parametrize("value", ["2019-02-30", "2019-8-1", "01/08/2019", "2019-08-01T10:00", "yesterday"])
def test_unparseable_dates_are_refused_in_either_date_column(tmp_path: Path, value: str) -> None:
    path = write_csv(tmp_path / "d.csv", [("S01", value, "2019-08-01", "10"), ("S02", "2019-08-01", value, "10")])
    messages = refusal(path)
    assert (
        f'{path}:2: first_treatment_date: "{value}" is not a date: expected YYYY-MM-DD, '
        "or empty for a subject never treated" in messages
    )
    assert (
        f'{path}:3: assessment_date: "{value}" is not a date: expected YYYY-MM-DD '
        "(every row is one assessment and needs its date)" in messages
    )


def test_missing_assessment_date_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [("S01", "2019-08-01", "", "10")])
    assert refusal(path) == [
        f'{path}:2: assessment_date: "" is not a date: expected YYYY-MM-DD '
        "(every row is one assessment and needs its date)"
    ]


@pytest.mark.parametrize("missing", ["subject", "first_treatment_date", "assessment_date", "pasi"])
def test_a_missing_column_is_named_on_line_1(tmp_path: Path, missing: str) -> None:
    columns = [c for c in HEADER.split(",") if c != missing]
    path = tmp_path / "m.csv"
    path.write_text(",".join(columns) + "\n" + ",".join("1" for _ in columns) + "\n", encoding="utf-8")
    assert refusal(path) == [
        f"{path}:1: {missing}: required column is missing (the header must name subject, first_treatment_date, "
        "assessment_date, pasi)"
    ]


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(HEADER + ",pasi\nS01,2019-08-01,2019-08-01,10,11\n", encoding="utf-8")
    assert refusal(path) == [f"{path}:1: pasi: the column appears more than once in the header; it must appear once"]


def test_empty_subject_and_control_characters_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(HEADER + '\n,2019-08-01,2019-08-01,10\n"S\n2",2019-08-01,2019-08-01,10\n', encoding="utf-8")
    assert refusal(path) == [
        f"{path}:2: subject: the subject id is empty: every row needs one",
        f'{path}:3: subject: "S\\n2" holds a line break, tab or other control character: '
        "a subject id is one line of text",
    ]


def test_line_numbers_count_a_quoted_line_break(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        HEADER + ',note\nS01,2019-08-01,2019-08-01,10,"two\nlines"\nS01,2019-08-01,2019-08-02,99,\n', encoding="utf-8"
    )
    assert refusal(path) == [f'{path}:4: pasi: "99" is outside 0–72 (the PASI range)']


def test_first_treatment_date_differing_between_rows_is_refused(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "f.csv",
        [
            ("S01", "2019-08-01", "2019-08-01", "10"),
            ("S01", "2019-08-02", "2019-10-24", "2"),
            ("S01", "", "2019-10-25", "2"),
        ],
    )
    assert refusal(path) == [
        f'{path}:3: first_treatment_date: "2019-08-02" differs from "2019-08-01" on line 2 for subject "S01": '
        "a subject has one first treatment date, the same on every row",
        f'{path}:4: first_treatment_date: "" differs from "2019-08-01" on line 2 for subject "S01": '
        "a subject has one first treatment date, the same on every row",
    ]


def test_two_pasi_values_for_one_subject_on_one_date_are_refused_even_when_equal(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "two.csv",
        [
            ("S01", "2019-08-01", "2019-08-01", "10"),
            ("S02", "2019-08-01", "2019-08-01", "10"),
            ("S01", "2019-08-01", "2019-08-01", "10"),
        ],
    )
    assert refusal(path) == [
        f'{path}:4: assessment_date: "2019-08-01": subject "S01" already has a PASI on this date (line 2); '
        "one PASI per subject and date is allowed"
    ]


def test_every_fault_is_reported_together(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "many.csv", [("S01", "2019-08-01", "2019-13-01", "80"), ("", "x", "2019-08-01", "1.25")]
    )
    problems = refusal(path)
    assert len(problems) == 5
    assert [p.split(":")[1] for p in problems] == ["2", "2", "3", "3", "3"]


def test_more_fields_than_the_header_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "\nS01,2019-08-01,2019-08-01,10\nS01,2019-08-01,2019-08-02,10,extra\n", encoding="utf-8")
    assert refusal(path) == [f"{path}:3: (row): 5 fields, but the header names 4 columns"]


@pytest.mark.parametrize(
    ("content", "message"), [(b"", "(header): the file is empty"), (b"\xff\xfe", "not UTF-8 text")]
)
def test_empty_or_non_utf8_file_is_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    assert message in refusal(path)[0]


@pytest.mark.parametrize("body", ["", "\n\n", ",,,\n"])
def test_a_file_without_data_rows_is_refused(tmp_path: Path, body: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(HEADER + "\n" + body, encoding="utf-8")
    assert refusal(path) == [f"{path}:1: (file): no data rows: expected one row per assessment"]


def test_no_baseline_or_baseline_0_is_not_bad_input(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "ok.csv", [("S01", "2019-08-01", "2019-08-01", "0"), ("S02", "2019-08-01", "2019-10-24", "3")]
    )
    assert read_assessments_csv(path).height == 2


def test_the_database_frame_is_checked_by_the_same_rules() -> None:
    day = dt.date(2019, 8, 1)
    ok = frame_from_rows([("S01", day, day, 100), ("S02", day, None, None)])
    assert check_assessment_frame(ok).height == 2
    with pytest.raises(AnalysisInputError) as caught:
        check_assessment_frame(frame_from_rows([("S01", day, day, 721), ("S01", day, day, 10), ("", None, day, 5)]))
    text = " | ".join(caught.value.messages)
    assert "721 is outside 0–720" in text
    assert "two PASI values on 2019-08-01" in text
    assert "subject id is empty" in text
    with pytest.raises(AnalysisInputError, match="required column is missing"):
        check_assessment_frame(pl.DataFrame({"subject": ["S01"]}))
