"""Invariants of the evaluator: less data never makes a candidate eligible; the verdict follows the criteria."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dermtrial.eligibility import evaluate_candidate, read_record
from dermtrial.protocol import Protocol
from tests.eligibility.records import PROTOCOL_IDS, protocol, template
from tests.eligibility.strategies import records

Path = tuple[str | int, ...]


def removable(record: dict[str, Any]) -> list[Path]:
    """Every input a record states: top-level fields, scores, lab results, last uses, facts, judgements."""
    paths: list[Path] = [
        (key,) for key in record if key not in {"candidate", "assessments", "labs", "facts", "judgements"}
    ]
    for section in ("assessments", "last_use", "facts", "judgements"):
        paths += [(section, key) for key in record.get(section) or {}]
    paths += [("labs", index) for index in range(len(record.get("labs", [])))]
    return paths


def without(record: dict[str, Any], path: Path) -> dict[str, Any]:
    out = copy.deepcopy(record)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    if isinstance(path[-1], int):
        node.pop(path[-1])
    else:
        del node[path[-1]]
    return out


@st.composite
def record_and_removal(draw: st.DrawFn) -> tuple[Protocol, dict[str, Any], Path]:
    on = protocol(draw(st.sampled_from(PROTOCOL_IDS)))
    record = draw(st.one_of(records(on), st.just(template(on.identity.registry_id))))
    paths = removable(record)
    return on, record, draw(st.sampled_from(paths)) if paths else ()


@settings(max_examples=300, deadline=None)
@given(record_and_removal())
@pytest.mark.requirement("CLIN-ELIG-08")
def test_removing_any_input_never_turns_ineligible_into_eligible(case: tuple[Protocol, dict[str, Any], Path]) -> None:
    on, record, path = case
    before = evaluate_candidate(on, read_record(record)).verdict
    after = evaluate_candidate(on, read_record(without(record, path) if path else record)).verdict
    if before == "ineligible":
        assert after != "eligible"
    if after == "eligible":
        assert before == "eligible"  # removing data never creates eligibility


def test_removing_each_input_of_the_template_makes_it_incomplete() -> None:
    # I1 is "PASI > 10 or BSA > 10 %": the template's BSA 18 % decides it without the PASI, and its PASI without BSA.
    still_decided = {("assessments", "pasi"), ("assessments", "bsa_percent")}
    for registry_id in PROTOCOL_IDS:
        on = protocol(registry_id)
        record = template(registry_id)
        for path in removable(record):
            if path == ("last_use", "other"):
                continue  # no criterion reads the class "other"
            verdict = evaluate_candidate(on, read_record(without(record, path))).verdict
            assert verdict == ("eligible" if path in still_decided else "incomplete"), path


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PROTOCOL_IDS).flatmap(lambda rid: records(protocol(rid)).map(lambda r: (rid, r))))
def test_the_verdict_follows_the_criteria(case: tuple[str, dict[str, Any]]) -> None:
    registry_id, record = case
    evaluation = evaluate_candidate(protocol(registry_id), read_record(record))
    results = {c.result for c in evaluation.criteria}
    if "not_satisfied" in results:
        assert evaluation.verdict == "ineligible"
    elif "unknown" in results:
        assert evaluation.verdict == "incomplete"
    else:
        assert evaluation.verdict == "eligible"
