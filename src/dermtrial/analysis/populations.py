"""Analysis populations: who belongs to each population the protocol file defines, by its rule.

Each population of the protocol (``populations:``) names one rule; a rule is a test on facts of the subject-level
table, all of which are booleans derived before the populations:

==========================================  =======================================================================
rule                                        a subject belongs when
==========================================  =======================================================================
``screened``                                it has a screening record (every subject in the table)
``enrolled``                                it was enrolled (has an enrollment number)
``any_infusion``                            it is enrolled and received at least one infusion of the cell product
``any_treatment``                           it is enrolled and received any study treatment (an infusion, or an
                                            ointment tube dispensed)
``no_major_deviation_primary_in_window``    it is in ``any_infusion``, has no major protocol deviation, and its
                                            primary endpoint value lies inside the endpoint's window
==========================================  =======================================================================

Example (the NCT03392311 file: ``fas`` = any_infusion, ``pp`` = no_major_deviation_primary_in_window): a subject
infused three times with a week-12 PASI on study day 85 and no major deviation is in both; the same subject with a
major dosing deviation is in the FAS only; an enrolled subject never infused is in neither (but in the safety set
when an ointment tube was dispensed to it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from dermtrial.errors import InvalidInput, Problem
from dermtrial.protocol.model import Population

#: The boolean columns of the subject table the rules read.
FACTS: tuple[str, ...] = ("enrolled", "any_infusion", "any_treatment", "major_deviation", "primary_in_window")

RULES: dict[str, Callable[[], pl.Expr]] = {
    "screened": lambda: pl.lit(True),
    "enrolled": lambda: pl.col("enrolled"),
    "any_infusion": lambda: pl.col("enrolled") & pl.col("any_infusion"),
    "any_treatment": lambda: pl.col("enrolled") & pl.col("any_treatment"),
    "no_major_deviation_primary_in_window": lambda: (
        pl.col("enrolled") & pl.col("any_infusion") & ~pl.col("major_deviation") & pl.col("primary_in_window")
    ),
}
"""Rule name → the membership test (see the module docstring)."""


def population_column(population_id: str) -> str:
    """The subject-table column that flags membership of a population: ``in_fas``."""
    return f"in_{population_id}"


def rule_expression(population: Population) -> pl.Expr:
    """The membership test of one population; an unknown rule is bad input naming the population and the rules."""
    rule = RULES.get(str(population.rule))
    if rule is None:
        raise InvalidInput(
            [
                Problem(
                    ("populations", population.id, "rule"),
                    f'"{population.rule}" is not a population rule: one of {", ".join(RULES)}',
                    value=str(population.rule),
                )
            ]
        )
    return rule()


def derive_populations(facts: pl.DataFrame, populations: Sequence[Population]) -> pl.DataFrame:
    """``facts`` with one boolean column ``in_<id>`` per population (nulls in a fact count as false).

    ``facts`` needs the columns of :data:`FACTS` (booleans, one row per subject).
    """
    missing = [name for name in FACTS if name not in facts.columns]
    if missing:
        raise ValueError(f"the subject facts lack the columns {', '.join(missing)}")
    filled = facts.with_columns(pl.col(name).fill_null(False).cast(pl.Boolean) for name in FACTS)
    expressions = [rule_expression(p).alias(population_column(p.id)) for p in populations]
    return filled.with_columns(expressions)


def members(subjects: pl.DataFrame, population_id: str) -> list[str]:
    """The subjects (column ``subject``) of one population, in table order; KeyError naming the known ids."""
    column = population_column(population_id)
    if column not in subjects.columns:
        known = ", ".join(c.removeprefix("in_") for c in subjects.columns if c.startswith("in_"))
        raise KeyError(f'no population "{population_id}" (populations: {known or "none"})')
    return subjects.filter(pl.col(column))["subject"].to_list()
