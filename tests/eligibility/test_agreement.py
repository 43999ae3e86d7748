"""The vectorised screen and the per-candidate check give the same verdicts: both are built from the same compiled
rules, and this property test holds them to it on random candidates, protocols and settings."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dermtrial.eligibility import (
    compile_criteria,
    evaluate_candidate,
    flatten_record,
    read_record,
    screen_frame,
    table_columns,
)
from dermtrial.protocol import Protocol
from tests.eligibility.records import PROTOCOL_IDS, protocol, set_lab, template, with_settings
from tests.eligibility.strategies import records
from tests.eligibility.test_edges import LAB_EDGES

VARIANTS: list[dict[str, str]] = [
    {},
    {"washout_edge": "exact_days_fail"},
    {"transaminase_limit_reading": "at_least_3_uln_excludes"},
    {"eligibility_calcium": "albumin_corrected"},
]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value) if isinstance(value, bool) else str(value)


def as_table(on: Protocol, batch: list[dict[str, Any]], *, as_text: bool) -> pl.DataFrame:
    """The records as a screening table: all text (as read from CSV) or typed (as from Parquet)."""
    rows = [flatten_record(record) for record in batch]
    names = [column.name for column in table_columns(on)]
    present = [name for name in names if any(name in row for row in rows)]
    if as_text:
        return pl.DataFrame(
            {n: [_text(row.get(n)) for row in rows] for n in present}, schema=dict.fromkeys(present, pl.String)
        )
    return pl.DataFrame([{n: row.get(n) for n in present} for row in rows], infer_schema_length=None)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Protocol, list[dict[str, Any]], bool]:
    on = with_settings(draw(st.sampled_from(PROTOCOL_IDS)), **draw(st.sampled_from(VARIANTS)))
    batch = draw(st.lists(records(on), min_size=1, max_size=12))
    return on, batch, draw(st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
@pytest.mark.requirement("CLIN-ELIG-12")
def test_screen_and_check_agree_on_every_criterion_of_random_candidates(
    case: tuple[Protocol, list[dict[str, Any]], bool],
) -> None:
    on, batch, as_text = case
    criteria = compile_criteria(on)
    screened = screen_frame(on, as_table(on, batch, as_text=as_text), criteria=criteria)
    for index, record in enumerate(batch):
        checked = evaluate_candidate(on, read_record(record), criteria=criteria)
        row = screened.row(index, named=True)
        expected = {c.criterion.id: c.result for c in checked.criteria}
        assert {c.id: row[c.id] for c in criteria} == expected, record
        assert row["verdict"] == checked.verdict
        assert row["not_satisfied"].split() == checked.failing()
        assert row["unknown"].split() == checked.unknown()


@pytest.mark.parametrize("registry_id", PROTOCOL_IDS)
@pytest.mark.parametrize("as_text", [True, False])
@pytest.mark.requirement("CLIN-ELIG-12")
def test_screen_and_check_agree_on_every_edge_of_trial_md(registry_id: str, as_text: bool) -> None:
    """The edge table, where binary floats would round the other way (2.905 mmol/L, 19.5 g/dL, 11.6 mg/dL)."""
    on = protocol(registry_id)
    batch = [
        set_lab(template(registry_id), test, value, unit, **range_) for test, value, unit, range_, _, _ in LAB_EDGES
    ]
    screened = screen_frame(on, as_table(on, batch, as_text=as_text))
    for index, (_, _, _, _, criterion, expected) in enumerate(LAB_EDGES):
        assert screened.row(index, named=True)[criterion] == expected, LAB_EDGES[index]
