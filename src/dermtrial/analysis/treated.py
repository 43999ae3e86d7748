"""The analysis population of a long CSV: the subjects it shows as treated.

A long CSV (``dermtrial analyze``) carries no dosing records, only each subject's first treatment date. The protocol's
primary population for NCT03392311 is the full analysis set (enrolled subjects who received any infusion); the CSV's
closest fact is a first treatment date, so the CSV path analyses the subjects that have one and leaves out, by name,
those with none (screen failures and subjects never treated). They are not "not evaluable" members of the
population: they were never in it. The database path (``dermtrial report``) applies the protocol's population rules
to the dosing records instead (:mod:`dermtrial.analysis.populations`).

Example: rows for S01 (first treatment 2019-08-01), S02 (empty: screen failure) and S03 (2019-08-03) give the
population S01, S03 and the left-out list ``[S02]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dermtrial.protocol.model import Protocol

NOT_TREATED = "no first treatment date in the input (never treated, e.g. a screen failure): not in the population"


@dataclass(frozen=True)
class TreatedSubset:
    """The rows of the treated subjects, the population's label, and the subjects left out (sorted)."""

    assessments: pl.DataFrame
    label: str
    left_out: tuple[str, ...]

    def left_out_json(self) -> list[dict[str, str]]:
        """``[{"subject": …, "reason": …}]`` for endpoints.json."""
        return [{"subject": subject, "reason": NOT_TREATED} for subject in self.left_out]


def select_treated(assessments: pl.DataFrame, protocol: Protocol) -> TreatedSubset:
    """Keep the subjects with a first treatment date; the label names the protocol's primary population."""
    treated = pl.col("first_treatment_date").is_not_null()
    left_out = assessments.filter(~treated).get_column("subject").unique().sort().to_list()
    endpoint = protocol.primary_endpoint()
    population_id = endpoint.population if endpoint is not None else None
    population = next((p for p in protocol.populations if p.id == population_id), None)
    name = f"{population.id}: {population.label}" if population is not None else "treated subjects"
    label = f"{name} (CSV: subjects with a first treatment date)"
    return TreatedSubset(assessments.filter(treated), label, tuple(left_out))
