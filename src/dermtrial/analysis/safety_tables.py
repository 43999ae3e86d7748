"""Safety tables: the treatment-emergent flag, adverse events by term and maximum grade, by relatedness to each study
product, serious adverse events, laboratory shift tables, infusion reactions and ointment exposure.

Rules, in words:

- **Treatment-emergent** (TEAE): the event's start, imputed where partial by :mod:`dermtrial.safety.dates`
  (conservatively, toward the first dose), is on or after the subject's first treatment date. An event starting the
  day before the first treatment is not treatment-emergent; one starting on the first treatment date is. A subject
  never treated has no TEAE.
- **By term and maximum grade**: treatment-emergent events of the population's subjects; each subject is counted
  once per term, at the worst grade of its events of that term, and once in "any adverse event" at its worst grade
  overall. Events without a grade are counted under "grade not given".
- **By relatedness**: per study product, each subject with a TEAE of the term is counted once: *related* when any
  of its events of the term is related to the product (POSSIBLE, PROBABLE or DEFINITE), else *not assessed* when a
  causality is missing, else *not related*.
- **Lab shift**: per test, the subject's baseline grade (its latest result on or before the first treatment date)
  against its worst grade after the first treatment date; "missing" when there is no such result or no grade.
- **Infusion reactions**: infusions during which a reaction was recorded, with the reactions; and the adverse
  events coded ``Infusion related reaction``.
- **Ointment exposure**: per subject, tubes dispensed and returned, grams used and the highest average grams per
  week of a returned tube, with the tubes above the protocol's weekly limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import polars as pl

from dermtrial.safety.dates import PartialDate, impute_start
from dermtrial.safety.relatedness import RELATED

NO_GRADE = "grade not given"
ANY = "any adverse event"
INFUSION_REACTION = "Infusion related reaction"


def flag_treatment_emergent(events: pl.DataFrame, first_treatment: pl.DataFrame) -> pl.DataFrame:
    """``events`` (``subject``, ``onset`` as entered, ``resolved``) with ``onset_imputed`` (Date), ``study_day``
    and ``treatment_emergent`` (bool), from ``first_treatment`` (``subject``, ``first_treatment_date``)."""
    frame = events.join(first_treatment.select("subject", "first_treatment_date"), on="subject", how="left")
    imputed: list[dt.date] = []
    emergent: list[bool] = []
    days: list[int | None] = []
    for onset, resolved, first in frame.select("onset", "resolved", "first_treatment_date").iter_rows():
        stop = PartialDate.parse(resolved) if resolved else None
        start = impute_start(PartialDate.parse(onset), first, stop)
        imputed.append(start)
        emergent.append(first is not None and start >= first)
        if first is None:
            days.append(None)
        else:
            offset = (start - first).days
            days.append(offset + 1 if offset >= 0 else offset)
    return frame.with_columns(
        pl.Series("onset_imputed", imputed, dtype=pl.Date),
        pl.Series("study_day", days, dtype=pl.Int64),
        pl.Series("treatment_emergent", emergent, dtype=pl.Boolean),
    )


def _teae(events: pl.DataFrame, subjects: Iterable[str]) -> pl.DataFrame:
    return events.filter(pl.col("treatment_emergent") & pl.col("subject").is_in(list(subjects)))


def _grade_label(grade: int | None) -> str:
    return NO_GRADE if grade is None else f"grade {grade}"


def ae_by_term_and_grade(events: pl.DataFrame, subjects: Sequence[str]) -> pl.DataFrame:
    """Subjects with a TEAE by term and worst grade: ``term``, ``subjects``, ``events``, ``grade 1`` … ``grade 5``,
    ``grade not given``; the first row is "any adverse event". ``subjects`` is the population."""
    teae = _teae(events, subjects)
    grades = [f"grade {g}" for g in range(1, 6)] + [NO_GRADE]
    rows: list[dict[str, object]] = []

    def row(term: str, part: pl.DataFrame) -> dict[str, object]:
        worst = part.group_by("subject").agg(pl.col("grade").max().alias("worst"))
        counts = dict.fromkeys(grades, 0)
        for value in worst["worst"].to_list():
            counts[_grade_label(value)] += 1
        return {"term": term, "subjects": worst.height, "events": part.height, **counts}

    rows.append(row(ANY, teae))
    for term in sorted(set(teae["term"].to_list())):
        rows.append(row(term, teae.filter(pl.col("term") == term)))
    schema = {"term": pl.String, "subjects": pl.Int64, "events": pl.Int64, **dict.fromkeys(grades, pl.Int64)}
    return pl.DataFrame(rows, schema=schema)


def ae_by_relatedness(
    events: pl.DataFrame, relatedness: pl.DataFrame, interventions: Sequence[str], subjects: Sequence[str]
) -> pl.DataFrame:
    """Per product and term (first "any adverse event"): subjects ``related``, ``not assessed``, ``not related``.

    ``relatedness`` has ``ae_id``, ``intervention`` and ``causality`` (one row per assessed product)."""
    teae = _teae(events, subjects)
    rows: list[dict[str, object]] = []
    for product in interventions:
        assessed = relatedness.filter(pl.col("intervention") == product).select("ae_id", "causality")
        frame = teae.join(assessed, on="ae_id", how="left").with_columns(
            pl.col("causality").is_in(sorted(RELATED)).fill_null(False).alias("related"),
            pl.col("causality").is_null().alias("missing"),
        )
        for term in [ANY, *sorted(set(frame["term"].to_list()))]:
            part = frame if term == ANY else frame.filter(pl.col("term") == term)
            per = part.group_by("subject").agg(pl.col("related").any(), pl.col("missing").any())
            related = per.filter(pl.col("related")).height
            missing = per.filter(~pl.col("related") & pl.col("missing")).height
            rows.append(
                {
                    "intervention": product,
                    "term": term,
                    "related": related,
                    "not assessed": missing,
                    "not related": per.height - related - missing,
                }
            )
    schema = {
        "intervention": pl.String,
        "term": pl.String,
        "related": pl.Int64,
        "not assessed": pl.Int64,
        "not related": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def serious_events(events: pl.DataFrame, subjects: Sequence[str]) -> pl.DataFrame:
    """The serious adverse events of the population, treatment-emergent or not, by subject and onset."""
    return (
        events.filter(pl.col("serious") & pl.col("subject").is_in(list(subjects)))
        .sort("subject", "onset_imputed", "ae_id")
        .select("subject", "term", "onset", "study_day", "grade", "seriousness", "outcome", "treatment_emergent",
                "sae_reports")
    )  # fmt: skip


def lab_shift_table(labs: pl.DataFrame, first_treatment: pl.DataFrame, subjects: Sequence[str]) -> pl.DataFrame:
    """Subjects per test, baseline grade and worst post-baseline grade: ``test``, ``baseline``, ``worst``, ``n``.

    ``labs`` has ``subject``, ``test``, ``date`` (collection, Date) and ``grade`` (Int64, null when not graded)."""
    frame = (
        labs.filter(pl.col("subject").is_in(list(subjects)))
        .join(first_treatment.select("subject", "first_treatment_date"), on="subject", how="inner")
        .filter(pl.col("first_treatment_date").is_not_null())
        .with_row_index("_order")
    )
    before = frame.filter(pl.col("date") <= pl.col("first_treatment_date"))
    baseline = (
        before.sort("date", "_order")
        .group_by("subject", "test", maintain_order=True)
        .agg(pl.col("grade").last().alias("_base"))
    )
    worst = (
        frame.filter(pl.col("date") > pl.col("first_treatment_date"))
        .group_by("subject", "test")
        .agg(pl.col("grade").max().alias("_worst"))
    )
    pairs = (
        frame.select("subject", "test")
        .unique()
        .join(baseline, on=["subject", "test"], how="left")
        .join(worst, on=["subject", "test"], how="left")
        .with_columns(
            pl.col("_base").cast(pl.String).fill_null("missing").alias("baseline"),
            pl.col("_worst").cast(pl.String).fill_null("missing").alias("worst"),
        )
    )
    return (
        pairs.group_by("test", "baseline", "worst")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .sort("test", "baseline", "worst")
    )


def infusion_reactions(exposures: pl.DataFrame, events: pl.DataFrame, subjects: Sequence[str]) -> pl.DataFrame:
    """Infusions with a recorded reaction and the adverse events coded "Infusion related reaction":
    ``subject``, ``date``, ``source`` (``infusion record`` or ``adverse event``), ``detail``."""
    members = list(subjects)
    given = exposures.filter(
        (pl.col("kind") == "administered") & pl.col("subject").is_in(members) & (pl.col("reactions").list.len() > 0)
    ).select(
        "subject",
        "date",
        pl.lit("infusion record").alias("source"),
        pl.col("reactions").list.join("; ").alias("detail"),
    )
    coded = events.filter((pl.col("term") == INFUSION_REACTION) & pl.col("subject").is_in(members)).select(
        "subject",
        pl.col("onset_imputed").alias("date"),
        pl.lit("adverse event").alias("source"),
        pl.format("grade {}", pl.col("grade")).alias("detail"),
    )
    return pl.concat([given, coded]).sort("subject", "date", "source")


def ointment_exposure(exposures: pl.DataFrame, adsl: pl.DataFrame, subjects: Sequence[str]) -> pl.DataFrame:
    """Per treated subject: ``tubes_dispensed``, ``tubes_returned``, ``ointment_grams``, ``max_grams_per_week`` and
    ``tubes_above_limit`` (``exposures`` rows of kind ``returned`` carry ``grams_per_week`` and ``above_limit``)."""
    returned = (
        exposures.filter(pl.col("kind") == "returned")
        .group_by("subject")
        .agg(
            pl.col("grams_per_week").max().alias("max_grams_per_week"),
            pl.col("above_limit").fill_null(False).sum().cast(pl.Int64).alias("tubes_above_limit"),
        )
    )
    return (
        adsl.filter(pl.col("subject").is_in(list(subjects)) & (pl.col("tubes_dispensed") > 0))
        .select("subject", "tubes_dispensed", "tubes_returned", "ointment_grams")
        .join(returned, on="subject", how="left")
        .with_columns(pl.col("tubes_above_limit").fill_null(0))
        .sort("subject")
    )
