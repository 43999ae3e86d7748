"""The disposition table: how many subjects were screened, failed screening (by reason), were enrolled, treated,
completed, withdrew (by reason), discontinued treatment (by reason) and are ongoing.

Counts are of subjects, from the subject-level table (:mod:`dermtrial.analysis.adsl`):

- **screened**: every subject with a screening record;
- **screen failures**: study status ``screen-failed``; by reason, one row per criterion the subject failed at its
  last eligibility evaluation (a subject failing two criteria is counted under both, so the reasons may add up to
  more than the failures), or the reason given with the status when no criterion failed;
- **enrolled**: given an enrollment number; **treated**: received any study treatment;
- **completed**: study status ``completed``; **withdrawn**: consent withdrawn, lost to follow-up or death, by reason;
- **treatment discontinued**: the end-of-treatment form says discontinued, by the reason it gives;
- **ongoing**: enrolled or in follow-up.
"""

from __future__ import annotations

import polars as pl

_SCHEMA = {"category": pl.String, "reason": pl.String, "n": pl.Int64}


def _count(frame: pl.DataFrame, condition: pl.Expr) -> int:
    return int(frame.filter(condition).height)


def _by(frame: pl.DataFrame, category: str, column: str) -> list[dict[str, object]]:
    counts = frame.group_by(column).agg(pl.len().alias("n")).sort(column)
    return [{"category": category, "reason": row[column], "n": int(row["n"])} for row in counts.iter_rows(named=True)]


def disposition_table(adsl: pl.DataFrame) -> pl.DataFrame:
    """One row per category (and reason) with the number of subjects; columns ``category``, ``reason``, ``n``.

    Reads ``status``, ``enrolled``, ``any_treatment``, ``screen_failure_reasons`` (list of text),
    ``withdrawal_reason``, ``treatment_status`` and ``discontinuation_reason``.
    """
    rows: list[dict[str, object]] = [{"category": "screened", "reason": None, "n": adsl.height}]
    failed = adsl.filter(pl.col("status") == "screen-failed")
    rows.append({"category": "screen failure", "reason": None, "n": failed.height})
    reasons = failed.select(
        pl.when(pl.col("screen_failure_reasons").list.len() > 0)
        .then(pl.col("screen_failure_reasons"))
        .otherwise(pl.concat_list(pl.lit("not recorded")))
        .alias("reason")
    ).explode("reason")
    rows.extend(_by(reasons, "screen failure", "reason"))
    rows.append({"category": "enrolled", "reason": None, "n": _count(adsl, pl.col("enrolled"))})
    rows.append(
        {"category": "treated", "reason": None, "n": _count(adsl, pl.col("enrolled") & pl.col("any_treatment"))}
    )
    rows.append({"category": "completed", "reason": None, "n": _count(adsl, pl.col("status") == "completed")})
    withdrawn = adsl.filter(pl.col("withdrawal_reason").is_not_null() & pl.col("enrolled"))
    rows.append({"category": "withdrawn", "reason": None, "n": withdrawn.height})
    rows.extend(_by(withdrawn, "withdrawn", "withdrawal_reason"))
    stopped = adsl.filter(pl.col("treatment_status") == "discontinued").with_columns(
        pl.col("discontinuation_reason").fill_null("not recorded")
    )
    rows.append({"category": "treatment discontinued", "reason": None, "n": stopped.height})
    rows.extend(_by(stopped, "treatment discontinued", "discontinuation_reason"))
    rows.append(
        {"category": "ongoing", "reason": None, "n": _count(adsl, pl.col("status").is_in(["enrolled", "follow-up"]))}
    )
    return pl.DataFrame(rows, schema=_SCHEMA)
