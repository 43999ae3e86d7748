"""Eligibility: the protocol's criteria as executable, three-valued, unit-aware rules (docs/eligibility.md).

Pure core: takes the protocol, a screening record (or a table of them) and optional site reference ranges, and
returns verdicts with evidence; no I/O, no clock, no store.

Public surface (tested): :func:`evaluate_candidate` and :class:`Evaluation` for one record,
:func:`screen_frame` for a polars table (columns: :func:`table_columns`, one record as a row: :func:`flatten_record`),
:func:`template_record` for a complete record of an eligible candidate, :class:`ScreeningRecord`,
:class:`ReferenceRange` and :func:`compile_criteria`.
"""

from dermtrial.eligibility.evaluate import (
    CompiledCriterion,
    CriterionResult,
    Evaluation,
    compile_criteria,
    evaluate_candidate,
)
from dermtrial.eligibility.labs import ReferenceRange
from dermtrial.eligibility.record import ScreeningRecord, read_record
from dermtrial.eligibility.screen import screen_frame
from dermtrial.eligibility.table import flatten_record, table_columns
from dermtrial.eligibility.template import template_record

__all__ = [
    "CompiledCriterion",
    "CriterionResult",
    "Evaluation",
    "ReferenceRange",
    "ScreeningRecord",
    "compile_criteria",
    "evaluate_candidate",
    "flatten_record",
    "read_record",
    "screen_frame",
    "table_columns",
    "template_record",
]
