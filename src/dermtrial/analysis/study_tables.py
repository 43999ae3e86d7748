"""Every study table of the database report, derived in order from the frames the store gives.

Order matters: the first treatment dates come from the exposures; the analysis table from the assessments and those
dates; whether the primary endpoint's value lies in its window from the analysis table; the populations (and so the
subject-level table) from that; then the population flags of the analysis table, the disposition and the safety
tables of the safety population (the population of the protocol's safety endpoint, else the one with the
``any_treatment`` rule). The primary endpoint itself is computed by :func:`dermtrial.analysis.analyse_pasi` from
:func:`pasi_input`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from dermtrial.analysis.adam import add_population_flags, derive_adam, primary_in_window
from dermtrial.analysis.adsl import derive_adsl, first_treatment_dates
from dermtrial.analysis.disposition import disposition_table
from dermtrial.analysis.populations import members
from dermtrial.analysis.safety_tables import (
    ae_by_relatedness,
    ae_by_term_and_grade,
    flag_treatment_emergent,
    infusion_reactions,
    lab_shift_table,
    ointment_exposure,
    serious_events,
)
from dermtrial.protocol.model import Protocol


@dataclass(frozen=True)
class StudyTables:
    """The derived tables (see each module for its columns)."""

    adsl: pl.DataFrame
    adam: pl.DataFrame
    disposition: pl.DataFrame
    events: pl.DataFrame
    ae_by_grade: pl.DataFrame
    ae_by_relatedness: pl.DataFrame
    serious: pl.DataFrame
    lab_shift: pl.DataFrame
    infusion_reactions: pl.DataFrame
    ointment: pl.DataFrame
    safety_population: str
    primary_population: str


def safety_population(protocol: Protocol) -> str:
    """The population of the safety tables: the safety endpoint's, else the ``any_treatment`` one, else ``enrolled``."""
    endpoint = next((e for e in protocol.endpoints if e.type == "safety"), None)
    if endpoint is not None:
        return endpoint.population
    rule = next((p.id for p in protocol.populations if p.rule == "any_treatment"), None)
    return rule or "enrolled"


def primary_population(protocol: Protocol) -> str:
    """The population of the primary endpoint (``fas`` when the protocol has none)."""
    endpoint = protocol.primary_endpoint()
    return endpoint.population if endpoint is not None else "fas"


def derive_study_tables(
    *,
    protocol: Protocol,
    subjects: pl.DataFrame,
    assessments: pl.DataFrame,
    exposures: pl.DataFrame,
    deviations: pl.DataFrame,
    adverse_events: pl.DataFrame,
    relatedness: pl.DataFrame,
    labs: pl.DataFrame,
) -> StudyTables:
    """Derive every table (see the module docstring); the frames are those of
    :class:`dermtrial.services.analysis_data.AnalysisData`."""
    first = first_treatment_dates(subjects, exposures)
    adam = derive_adam(assessments, first, protocol)
    adsl = derive_adsl(subjects, exposures, deviations, primary_in_window(adam, protocol), protocol)
    adam = add_population_flags(adam, adsl)
    population = safety_population(protocol)
    safety: Sequence[str] = members(adsl, population)
    events = flag_treatment_emergent(adverse_events, first)
    products = [i.id for i in protocol.interventions]
    return StudyTables(
        adsl=adsl,
        adam=adam,
        disposition=disposition_table(adsl),
        events=events,
        ae_by_grade=ae_by_term_and_grade(events, safety),
        ae_by_relatedness=ae_by_relatedness(events, relatedness, products, safety),
        serious=serious_events(events, safety),
        lab_shift=lab_shift_table(labs, first, safety),
        infusion_reactions=infusion_reactions(exposures, events, safety),
        ointment=ointment_exposure(exposures, adsl, safety),
        safety_population=population,
        primary_population=primary_population(protocol),
    )


def pasi_input(tables: StudyTables, assessments: pl.DataFrame) -> pl.DataFrame:
    """The primary analysis input: PASI assessments of the primary population's subjects, with ``subject``,
    ``first_treatment_date``, ``assessment_date`` and ``pasi_tenths`` (the stored total × 10, exact).

    Two PASI forms of one subject on one date: the one entered last counts (as for the baseline of the analysis
    table). A subject of the population without any PASI assessment is one row with a null date and PASI, so that
    the analysis lists it as not evaluable.
    """
    population = members(tables.adsl, tables.primary_population)
    first = tables.adsl.select("subject", "first_treatment_date")
    pasi = (
        assessments.filter((pl.col("parameter") == "pasi") & pl.col("subject").is_in(population))
        .unique(subset=["subject", "assessment_date"], keep="last", maintain_order=True)
        .select(
            "subject",
            "assessment_date",
            (pl.col("value") * 10).round(0).cast(pl.Int64).alias("pasi_tenths"),
        )
    )
    seen = set(pasi["subject"].to_list())
    absent = pl.DataFrame(
        {"subject": [s for s in population if s not in seen]},
        schema={"subject": pl.String},
    ).with_columns(pl.lit(None, pl.Date).alias("assessment_date"), pl.lit(None, pl.Int64).alias("pasi_tenths"))
    return (
        pl.concat([pasi, absent])
        .join(first, on="subject", how="left")
        .select("subject", "first_treatment_date", "assessment_date", "pasi_tenths")
        .sort("subject", "assessment_date", nulls_last=True)
    )


def labs_for_report(labs: pl.DataFrame, tables: StudyTables) -> pl.DataFrame:
    """The lab-over-time frame of the report: ``subject``, ``test``, ``unit``, ``study_day``, ``value``, ``lln``,
    ``uln``, ``grade``, for the safety population's subjects with a first treatment date."""
    population = members(tables.adsl, tables.safety_population)
    first = tables.adsl.select("subject", "first_treatment_date")
    offset = (pl.col("date") - pl.col("first_treatment_date")).dt.total_days()
    return (
        labs.filter(pl.col("subject").is_in(population))
        .join(first, on="subject", how="inner")
        .filter(pl.col("first_treatment_date").is_not_null() & pl.col("value").is_not_null())
        .with_columns(pl.when(offset >= 0).then(offset + 1).otherwise(offset).alias("study_day"))
        .select("subject", "test", "unit", "study_day", "value", "lln", "uln", "grade")
        .sort("subject", "test", "study_day")
    )
