"""Population rules, disposition reasons and safety-table edges on hand-made frames (pure, no database)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dermtrial.analysis.disposition import disposition_table
from dermtrial.analysis.populations import FACTS, derive_populations
from dermtrial.analysis.safety_tables import ae_by_term_and_grade, flag_treatment_emergent, lab_shift_table
from dermtrial.errors import InvalidInput
from dermtrial.protocol.builtin import load_builtin
from dermtrial.protocol.model import Population

PROTOCOL = load_builtin("NCT03392311")
FIRST = dt.date(2019, 7, 23)


@pytest.mark.requirement("CLIN-ANA-01")
def test_each_population_rule_on_both_sides() -> None:
    #          enrolled any_infusion any_treatment major primary_in_window
    facts = {
        "P": (True, True, True, False, True),  # in every population
        "M": (True, True, True, True, True),  # a major deviation: not per-protocol
        "W": (True, True, True, False, False),  # week 12 outside its window: not per-protocol
        "O": (True, False, True, False, False),  # ointment only: safety, not FAS
        "N": (True, False, False, False, False),  # enrolled, never treated
        "F": (False, False, False, False, False),  # screen failure
    }
    frame = pl.DataFrame([{"subject": s, **dict(zip(FACTS, v, strict=True))} for s, v in facts.items()])
    flags = derive_populations(frame, PROTOCOL.populations)
    members = {p.id: flags.filter(pl.col(f"in_{p.id}"))["subject"].to_list() for p in PROTOCOL.populations}
    assert members == {
        "enrolled": ["P", "M", "W", "O", "N"],
        "fas": ["P", "M", "W"],
        "pp": ["P"],
        "safety": ["P", "M", "W", "O"],
    }


def test_an_unknown_population_rule_is_refused_naming_it() -> None:
    odd = Population.model_construct(id="itt", label="ITT", rule="randomised", description="x")
    frame = pl.DataFrame([{"subject": "P", **dict.fromkeys(FACTS, True)}])
    with pytest.raises(InvalidInput) as caught:
        derive_populations(frame, [odd])
    assert caught.value.problems[0].format() == (
        'populations.itt.rule: "randomised" is not a population rule: one of screened, enrolled, any_infusion, '
        "any_treatment, no_major_deviation_primary_in_window"
    )


def test_a_screen_failure_with_two_failed_criteria_counts_under_both() -> None:
    adsl = pl.DataFrame(
        [
            {"status": "screen-failed", "screen_failure_reasons": ["inclusion I2", "exclusion E3"]},
            {"status": "screen-failed", "screen_failure_reasons": ["exclusion E3"]},
            {"status": "screen-failed", "screen_failure_reasons": []},
        ]
    ).with_columns(
        pl.lit(False).alias("enrolled"), pl.lit(False).alias("any_treatment"),
        pl.lit(None, pl.String).alias("withdrawal_reason"), pl.lit("not-started").alias("treatment_status"),
        pl.lit(None, pl.String).alias("discontinuation_reason"),
    )  # fmt: skip
    rows = {(r["category"], r["reason"]): r["n"] for r in disposition_table(adsl).to_dicts()}
    assert rows[("screen failure", None)] == 3
    assert rows[("screen failure", "exclusion E3")] == 2
    assert rows[("screen failure", "inclusion I2")] == 1
    assert rows[("screen failure", "not recorded")] == 1


def _events(rows: list[tuple[str, str, str | None, int | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"ae_id": i, "subject": s, "term": "Pruritus", "onset": o, "resolved": r, "grade": g}
         for i, (s, o, r, g) in enumerate(rows)],
        schema={"ae_id": pl.Int64, "subject": pl.String, "term": pl.String, "onset": pl.String,
                "resolved": pl.String, "grade": pl.Int64},
    )  # fmt: skip


def test_treatment_emergence_at_the_first_dose_with_partial_dates() -> None:
    events = _events(
        [
            ("A", "2019-07-22", None, 1),  # the day before the first dose: not treatment-emergent
            ("A", "2019-07-23", None, 1),  # the first dose day: treatment-emergent
            ("A", "2019-07", None, 1),  # the month of the first dose: imputed to it, treatment-emergent
            ("A", "2019", "2019-03", 1),  # stopped in March: cannot have started at the July dose
            ("B", "2019-08-01", None, 2),  # never treated: no treatment-emergent event
        ]
    )
    first = pl.DataFrame({"subject": ["A", "B"], "first_treatment_date": [FIRST, None]})
    flagged = flag_treatment_emergent(events, first)
    assert flagged["treatment_emergent"].to_list() == [False, True, True, False, False]
    assert flagged["study_day"].to_list() == [-1, 1, 1, -114, None]  # 2019 capped at 2019-03-31: 114 days before


def test_a_subject_is_counted_once_at_its_worst_grade() -> None:
    events = _events([("A", "2019-08-01", None, 1), ("A", "2019-08-05", None, 3), ("B", "2019-08-01", None, None)])
    first = pl.DataFrame({"subject": ["A", "B"], "first_treatment_date": [FIRST, FIRST]})
    table = ae_by_term_and_grade(flag_treatment_emergent(events, first), ["A", "B"])
    row = table.filter(pl.col("term") == "Pruritus").row(0, named=True)
    assert (row["subjects"], row["events"], row["grade 1"], row["grade 3"], row["grade not given"]) == (2, 3, 0, 1, 1)


def test_lab_shift_baseline_on_the_first_day_and_missing_baseline() -> None:
    labs = pl.DataFrame(
        {
            "subject": ["A", "A", "A", "B"],
            "test": ["PLAT"] * 4,
            "date": [FIRST - dt.timedelta(days=3), FIRST, FIRST + dt.timedelta(days=14), FIRST + dt.timedelta(days=14)],
            "grade": [2, 0, 1, 3],
        }
    )
    first = pl.DataFrame({"subject": ["A", "B"], "first_treatment_date": [FIRST, FIRST]})
    shift = {(r["baseline"], r["worst"]): r["n"] for r in lab_shift_table(labs, first, ["A", "B"]).to_dicts()}
    assert shift == {("0", "1"): 1, ("missing", "3"): 1}  # A: the day-1 result is its baseline
