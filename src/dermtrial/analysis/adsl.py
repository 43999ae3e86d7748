"""The subject-level table (ADSL-like): one row per screened subject with its treatment, disposition and populations.

Derivations, in words:

- **First treatment date**: the earliest study treatment, an infusion (exposure ``administered``) or an ointment
  tube handed out (``dispensed``). It is study day 1 of every other table.
- **Last treatment date**: the end-of-treatment date when the EOT form gives one, else the latest exposure record
  (infusion, tube dispensed or returned).
- **Infusions** and **total cells**: the number of infusions and the sum of the doses given (cells).
- **Ointment**: tubes dispensed, tubes returned, and the grams used, the sum over returned tubes of the dispensed
  weight minus the returned weight (tubes not yet returned are not counted in the grams, and are listed as
  unreturned). Weights are summed in milligrams (integers), and the grams are a decimal exact to 1 mg.
- **Major deviations**: the number of the subject's major protocol deviations (voided ones never count).
- **Disposition**: the study status (``completed``, ``withdrew-consent``, ``lost``, ``died``, ``screen-failed``;
  ``enrolled`` and ``follow-up`` are ``ongoing``), and the treatment status with its discontinuation reason.
- **Rater changes**: how many times the subject's PASI or sPGA assessor changed from the previous assessment.
- **Populations**: one ``in_<id>`` column per population of the protocol (:mod:`dermtrial.analysis.populations`).

Example: a subject infused on 2019-08-01, 08-29 and 09-26 with 125,000,000 cells each, one tube of 250.2 g dispensed
on 08-01 and returned at 50.0 g on 08-15: first treatment 2019-08-01, 3 infusions, 375,000,000 cells, 200.2 g.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from dermtrial.analysis.populations import derive_populations
from dermtrial.protocol.model import Protocol

SUBJECT_COLUMNS: Mapping[str, pl.DataType] = {
    "subject": pl.String(),
    "site": pl.String(),
    "screening_number": pl.String(),
    "status": pl.String(),
    "enrolled": pl.Boolean(),
    "treatment_status": pl.String(),
    "discontinuation_reason": pl.String(),
    "eot_date": pl.Date(),
    "rater_changes": pl.Int64(),
}
"""The columns :func:`derive_adsl` reads from the subjects (more are kept as they are)."""

EXPOSURE_COLUMNS: Mapping[str, pl.DataType] = {
    "subject": pl.String(),
    "intervention": pl.String(),
    "kind": pl.String(),
    "product_unit": pl.String(),
    "date": pl.Date(),
    "amount": pl.Float64(),
}
"""The columns read from the exposures (``kind``: ``administered``, ``dispensed`` or ``returned``)."""

DISPOSITION: Mapping[str, str] = {
    "screening": "in screening",
    "screen-failed": "screen failure",
    "enrolled": "ongoing",
    "follow-up": "ongoing",
    "completed": "completed",
    "withdrew-consent": "withdrawn",
    "lost": "withdrawn",
    "died": "withdrawn",
}
"""Study status → disposition."""

WITHDRAWAL_REASONS: Mapping[str, str] = {
    "withdrew-consent": "consent withdrawn",
    "lost": "lost to follow-up",
    "died": "death",
}
"""Study status → withdrawal reason."""


def first_treatment_dates(subjects: pl.DataFrame, exposures: pl.DataFrame) -> pl.DataFrame:
    """Per subject (``subject``, ``first_treatment_date``): the earliest infusion or tube dispensed, or null."""
    given = (
        exposures.filter(pl.col("kind").is_in(["administered", "dispensed"]))
        .group_by("subject")
        .agg(pl.col("date").min().alias("first_treatment_date"))
    )
    return subjects.select("subject").join(given, on="subject", how="left")


def exposure_summary(subjects: pl.DataFrame, exposures: pl.DataFrame) -> pl.DataFrame:
    """Per subject: first and last exposure dates, infusions, total cells, tubes and grams of ointment."""
    frame = exposures.select([pl.col(c).cast(t) for c, t in EXPOSURE_COLUMNS.items()]).with_columns(
        (pl.col("amount") * 1000).round(0).cast(pl.Int64).alias("_mg")
    )
    dated = frame.group_by("subject").agg(
        pl.col("date").filter(pl.col("kind").is_in(["administered", "dispensed"])).min().alias("first_treatment_date"),
        pl.col("date").max().alias("_last_exposure"),
        (pl.col("kind") == "administered").sum().cast(pl.Int64).alias("infusions"),
        pl.col("amount").filter(pl.col("kind") == "administered").sum().round(0).cast(pl.Int64).alias("total_cells"),
        (pl.col("kind") == "dispensed").sum().cast(pl.Int64).alias("tubes_dispensed"),
        (pl.col("kind") == "returned").sum().cast(pl.Int64).alias("tubes_returned"),
    )
    out = frame.filter(pl.col("kind") == "dispensed").select("subject", "product_unit", pl.col("_mg").alias("_out"))
    back = frame.filter(pl.col("kind") == "returned").select("subject", "product_unit", pl.col("_mg").alias("_back"))
    used = (
        out.join(back, on=["subject", "product_unit"], how="inner")
        .group_by("subject")
        .agg((pl.col("_out") - pl.col("_back")).sum().alias("ointment_mg"))
    )
    summary = subjects.select("subject").join(dated, on="subject", how="left").join(used, on="subject", how="left")
    return summary.with_columns(
        pl.col("infusions", "total_cells", "tubes_dispensed", "tubes_returned").fill_null(0),
        (pl.col("ointment_mg").cast(pl.Decimal(38, 3)) / 1000).alias("ointment_grams"),
    ).with_columns(
        (pl.col("infusions") > 0).alias("any_infusion"),
        ((pl.col("infusions") > 0) | (pl.col("tubes_dispensed") > 0)).alias("any_treatment"),
    )


def derive_adsl(
    subjects: pl.DataFrame,
    exposures: pl.DataFrame,
    deviations: pl.DataFrame,
    primary: pl.DataFrame,
    protocol: Protocol,
) -> pl.DataFrame:
    """The subject-level table (see the module docstring).

    ``subjects``: the columns of :data:`SUBJECT_COLUMNS`; ``exposures``: :data:`EXPOSURE_COLUMNS`; ``deviations``:
    ``subject`` and ``major`` (bool); ``primary``: ``subject`` and ``primary_in_window`` (bool), as
    :func:`dermtrial.analysis.adam.primary_in_window` gives it.
    """
    base = subjects.with_columns(pl.col(c).cast(t) for c, t in SUBJECT_COLUMNS.items())
    majors = deviations.group_by("subject").agg(pl.col("major").cast(pl.Int64).sum().alias("major_deviations"))
    frame = (
        base.join(exposure_summary(base, exposures), on="subject", how="left")
        .join(majors, on="subject", how="left")
        .join(primary.select("subject", "primary_in_window"), on="subject", how="left")
        .with_columns(
            pl.col("major_deviations").fill_null(0),
            pl.col("rater_changes").fill_null(0),
            pl.coalesce("eot_date", "_last_exposure").alias("last_treatment_date"),
            pl.col("status").replace_strict(dict(DISPOSITION), default=pl.col("status")).alias("disposition"),
            pl.col("status").replace_strict(dict(WITHDRAWAL_REASONS), default=None).alias("withdrawal_reason"),
        )
        .with_columns((pl.col("major_deviations") > 0).alias("major_deviation"))
        .drop("_last_exposure")
    )
    return derive_populations(frame, protocol.populations)
