"""The vectorised paths of the analysis keep the exact results: every PASI cell form read to the exact tenth, the
canonical input text by hand for awkward subject ids and dates, and a frame with one fault of each kind still refused
with its message after the fast verdict."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dermtrial.analysis.input import AnalysisInputError, check_assessment_frame, frame_from_rows, parse_assessments_csv
from dermtrial.analysis.output import canonical_input_bytes, canonical_input_text

HEADER = "subject,first_treatment_date,assessment_date,pasi\n"


def test_every_pasi_from_0_to_72_in_every_accepted_form_is_read_to_the_exact_tenth() -> None:
    cells, expected = [], []
    for tenths in range(721):
        whole, tenth = divmod(tenths, 10)
        forms = [f"{whole}.{tenth}", f"0{whole}.{tenth}00", f"{whole:03d}.{tenth}"]
        if tenth == 0:
            forms += [f"{whole}", f"{whole}.", f"{whole}.000"]
        cells += forms
        expected += [tenths] * len(forms)
    start = dt.date(2019, 1, 1)
    rows = "".join(
        f"S{i},2019-01-01,{(start + dt.timedelta(days=i % 3000)).isoformat()},{cell}\n" for i, cell in enumerate(cells)
    )
    frame = parse_assessments_csv((HEADER + rows).encode(), "forms.csv")
    assert frame["pasi_tenths"].to_list() == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("72.1", '"72.1" is outside 0–72 (the PASI range)'),  # just above the range
        ("5.05", '"5.05" is not a multiple of 0.1: a PASI has at most one decimal'),  # a second decimal
        ("1000", '"1000" is outside 0–72 (the PASI range)'),  # four integer digits
        ("1e1", '"1e1" is not a number: expected a PASI from 0 to 72 with at most one decimal'),  # an exponent
    ],
)
def test_a_pasi_outside_the_simple_form_is_refused_with_its_message(cell: str, message: str) -> None:
    data = f"{HEADER}A,2019-01-01,2019-01-01,{cell}\n".encode()
    with pytest.raises(AnalysisInputError) as refused:
        parse_assessments_csv(data, "f.csv")
    assert refused.value.messages == [f"f.csv:2: pasi: {message}"]


def test_the_canonical_text_of_awkward_subject_ids_and_dates_by_hand() -> None:
    frame = frame_from_rows(
        [
            ("中文é", None, None, None),  # a subject of the population without any PASI; 3 characters, 7 bytes
            ('a,"b', dt.date(1, 1, 1), dt.date(999, 12, 31), 5),  # comma and quote written as they are
            ("x", dt.date(9999, 12, 31), dt.date(2019, 1, 1), 720),
            ("x", dt.date(9999, 12, 31), None, None),  # a missing date sorts first
        ]
    )
    expected = (
        "dermtrial-pasi-input-1\n"
        '4:a,"b,0001-01-01,0999-12-31,5\n'
        "1:x,9999-12-31,,\n"
        "1:x,9999-12-31,2019-01-01,720\n"
        "3:中文é,,,\n"
    )
    assert canonical_input_text(frame) == expected
    assert canonical_input_bytes(frame) == expected.encode("utf-8")


FAULTS = [
    (("", dt.date(2019, 1, 1), dt.date(2019, 1, 1), 100), "the subject id is empty (or null): every row needs one"),
    (("A", dt.date(2019, 1, 1), dt.date(2019, 1, 2), None), "subject A: an assessment date without a PASI"),
    (("A", dt.date(2019, 1, 1), None, 100), "subject A: a PASI without an assessment date"),
    (("A", dt.date(2019, 1, 1), dt.date(2019, 1, 3), 721), "subject A: 721 is outside 0–720 (PASI 0–72 in tenths)"),
    (("A", dt.date(2019, 1, 2), dt.date(2019, 1, 4), 100), "subject A: more than one first treatment date"),
    (("A", dt.date(2019, 1, 1), dt.date(2019, 1, 1), 90), "subject A: two PASI values on 2019-01-01"),
]


@pytest.mark.parametrize(("row", "message"), FAULTS)
def test_a_frame_with_one_fault_passes_the_fast_verdict_to_the_message(
    row: tuple[str, dt.date | None, dt.date | None, int | None], message: str
) -> None:
    good = [("A", dt.date(2019, 1, 1), dt.date(2019, 1, 1), 100), ("B", None, dt.date(2019, 1, 1), 0)]
    assert check_assessment_frame(frame_from_rows(good)).height == 2
    with pytest.raises(AnalysisInputError) as refused:
        check_assessment_frame(frame_from_rows([*good, row]))
    assert [p.message for p in refused.value.problems] == [message]


def test_a_frame_without_faults_comes_back_typed_and_unchanged() -> None:
    frame = pl.DataFrame(
        {"subject": ["B", "A"], "first_treatment_date": [None, dt.date(2019, 1, 1)],
         "assessment_date": [dt.date(2019, 1, 5), dt.date(2019, 1, 1)], "pasi_tenths": [0, 720], "extra": [1, 2]}
    )  # fmt: skip
    checked = check_assessment_frame(frame)
    assert checked.columns == ["subject", "first_treatment_date", "assessment_date", "pasi_tenths"]
    assert checked.rows() == frame.drop("extra").rows()
