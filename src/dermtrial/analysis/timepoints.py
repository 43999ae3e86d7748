"""Study day, baseline and week-12 selection for the PASI endpoints.

- **Study day** (CDISC SDTM): day 1 is the first treatment date, the day before it is day −1; there is no day 0.
  With ``offset = assessment date − first treatment date`` in days, ``study day = offset + 1`` when ``offset ≥ 0``,
  else ``offset``.
- **Baseline**: the last assessment on or before the first treatment date (offset ≤ 0, study day ≤ 1).
- **Timepoint (week 12)**: the assessment whose offset lies within ``target − before`` … ``target + after``, where the
  target is the ``offset_days`` of the endpoint's timepoint visit and the window is the endpoint's own (or, when the
  protocol leaves it out, the visit's). The one closest to the target wins; of two equally close, the earlier. For
  NCT03392311: target offset 84 (study day 85), window 3/3, so study days 82–88. A protocol may turn the tie the
  other way (``settings.visit_window_tie_break: later``).
- **Last post-baseline assessment** (for LOCF): the last assessment after the first treatment date (offset ≥ 1) and
  no later than the window end.

Example (first treatment 2019-08-01; week 12 target 2019-10-24, study day 85)::

    assessment  study day  role
    2019-07-20  -12        (screening)
    2019-08-01  1          baseline (last on or before day 1)
    2019-09-26  57         last post-baseline before the window (LOCF candidate)
    2019-10-21  82         in the window, 3 days early
    2019-10-27  88         in the window, 3 days late: as close as 2019-10-21, so the earlier wins
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from dermtrial.protocol.model import Protocol

PRIMARY_ENDPOINT = "pasi_improvement"
"""The protocol endpoint whose timepoint and window the PASI analysis reads."""


def cdisc_study_day(offset_days: int) -> int:
    """The CDISC study day of a day ``offset_days`` after the first treatment date (no day 0)."""
    return offset_days + 1 if offset_days >= 0 else offset_days


def study_day_expr(first_treatment: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Polars expression for the CDISC study day of ``day`` (null when either date is null)."""
    offset = (day - first_treatment).dt.total_days()
    return pl.when(offset >= 0).then(offset + 1).otherwise(offset)


@dataclass(frozen=True)
class AnalysisWindow:
    """The timepoint of an endpoint: its visit, the target offset and the window, all read from the protocol."""

    endpoint_id: str
    """The protocol endpoint (``pasi_improvement``)."""
    visit_id: str
    """The timepoint visit (``week12``)."""
    target_offset_days: int
    """Days after the first treatment date (84)."""
    before: int
    """Days allowed before the target (3)."""
    after: int
    """Days allowed after the target (3)."""
    tie_break: Literal["earlier", "later"] = "earlier"
    """Of two assessments equally close to the target, which counts (protocol ``settings.visit_window_tie_break``)."""

    @property
    def first_offset(self) -> int:
        """First offset inside the window."""
        return self.target_offset_days - self.before

    @property
    def last_offset(self) -> int:
        """Last offset inside the window."""
        return self.target_offset_days + self.after

    @property
    def target_study_day(self) -> int:
        """CDISC study day of the target (85)."""
        return cdisc_study_day(self.target_offset_days)

    @property
    def first_study_day(self) -> int:
        """First study day inside the window (82)."""
        return cdisc_study_day(self.first_offset)

    @property
    def last_study_day(self) -> int:
        """Last study day inside the window (88)."""
        return cdisc_study_day(self.last_offset)

    def to_json(self) -> dict[str, Any]:
        """The ``window`` object of endpoints.json."""
        return {
            "endpoint": self.endpoint_id,
            "visit": self.visit_id,
            "target_offset_days": self.target_offset_days,
            "target_study_day": self.target_study_day,
            "before": self.before,
            "after": self.after,
            "first_study_day": self.first_study_day,
            "last_study_day": self.last_study_day,
            "tie_break": self.tie_break,
        }


class NoTimepoint(ValueError):
    """The protocol does not define the endpoint, its timepoint, or the timepoint's visit."""


def window_for(protocol: Protocol, endpoint_id: str = PRIMARY_ENDPOINT) -> AnalysisWindow:
    """The analysis window of ``endpoint_id``: its timepoint visit's offset, and its window (or the visit's)."""
    endpoint = next((e for e in protocol.endpoints if e.id == endpoint_id), None)
    if endpoint is None:
        raise NoTimepoint(f"protocol {protocol.identity.registry_id} has no endpoint {endpoint_id}")
    if endpoint.timepoint is None:
        raise NoTimepoint(f"endpoint {endpoint_id} of protocol {protocol.identity.registry_id} has no timepoint")
    try:
        visit = protocol.visit(endpoint.timepoint)
    except KeyError:
        raise NoTimepoint(f"endpoint {endpoint_id}: timepoint {endpoint.timepoint} is not a visit") from None
    window = endpoint.window or visit.window
    tie_break = protocol.settings.visit_window_tie_break
    return AnalysisWindow(endpoint_id, visit.id, visit.offset_days, window.before, window.after, tie_break)


def select_timepoints(assessments: pl.DataFrame, window: AnalysisWindow) -> pl.DataFrame:
    """One row per subject: the baseline, the in-window timepoint value and the last post-baseline value.

    ``assessments`` is the analysis input frame (``subject``, ``first_treatment_date``, ``assessment_date``,
    ``pasi_tenths``). Columns returned, sorted by subject: ``subject``, ``first_treatment_date``, then for each of
    ``baseline``, ``week12`` and ``last`` (the LOCF candidate) ``*_tenths``, ``*_date`` and ``*_study_day`` (null when
    there is none).
    """
    subjects = assessments.group_by("subject").agg(pl.col("first_treatment_date").first()).sort("subject")
    dated = assessments.filter(
        pl.col("assessment_date").is_not_null() & pl.col("first_treatment_date").is_not_null()
    ).with_columns(
        offset=(pl.col("assessment_date") - pl.col("first_treatment_date")).dt.total_days(),
        study_day=study_day_expr(pl.col("first_treatment_date"), pl.col("assessment_date")),
    )

    def pick(frame: pl.DataFrame, prefix: str, order: list[pl.Expr]) -> pl.DataFrame:
        return (
            frame.sort([pl.col("subject"), *order])
            .group_by("subject", maintain_order=True)
            .first()
            .select(
                "subject",
                pl.col("pasi_tenths").alias(f"{prefix}_tenths"),
                pl.col("assessment_date").alias(f"{prefix}_date"),
                pl.col("study_day").alias(f"{prefix}_study_day"),
            )
        )

    baseline = _last(dated.filter(pl.col("offset") <= 0), "baseline")
    in_window = dated.filter(pl.col("offset").is_between(window.first_offset, window.last_offset)).with_columns(
        distance=(pl.col("offset") - window.target_offset_days).abs()
    )
    tie = pl.col("offset") if window.tie_break == "earlier" else -pl.col("offset")
    week12 = pick(in_window, "week12", [pl.col("distance"), tie])
    last = _last(dated.filter(pl.col("offset").is_between(1, window.last_offset)), "last")
    return (
        subjects.join(baseline, on="subject", how="left")
        .join(week12, on="subject", how="left")
        .join(last, on="subject", how="left")
    )


def _last(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
    """Per subject, the row with the latest assessment date."""
    return (
        frame.sort("subject", "offset")
        .group_by("subject", maintain_order=True)
        .last()
        .select(
            "subject",
            pl.col("pasi_tenths").alias(f"{prefix}_tenths"),
            pl.col("assessment_date").alias(f"{prefix}_date"),
            pl.col("study_day").alias(f"{prefix}_study_day"),
        )
    )
