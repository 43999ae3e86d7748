"""The methods section of the PASI analysis: each rule the analysis applied, in words, for the study report."""

from __future__ import annotations

from dermtrial.analysis.missing import MissingRule, statement
from dermtrial.analysis.output import CANONICAL_HEADER, SIGNIFICANT_DIGITS
from dermtrial.analysis.stats import EXACT_MAX_N
from dermtrial.analysis.timepoints import AnalysisWindow
from dermtrial.instruments.pasi_response import RESPONSE_THRESHOLDS


def methods_paragraphs(window: AnalysisWindow, rule: MissingRule, protocol_id: str) -> tuple[str, ...]:
    """Paragraphs stating the study day, baseline, window, estimands, statistics, missing-data rule and hash."""
    thresholds = "/".join(str(t) for t in RESPONSE_THRESHOLDS)
    return (
        "Study day follows CDISC SDTM: day 1 is the subject's first treatment date, the day before it is day −1, "
        "and there is no day 0.",
        "Baseline PASI is the last assessment on or before the first treatment date (study day 1 or earlier).",
        f"The {window.visit_id} value is read from protocol {protocol_id}, endpoint {window.endpoint_id}: the "
        f"assessment whose date lies within the first treatment date + {window.target_offset_days} days "
        f"(study day {window.target_study_day}) − {window.before} / + {window.after} days, i.e. study days "
        f"{window.first_study_day}–{window.last_study_day}; the one closest to the target, of two equally close "
        f"the {window.tie_break}. A value outside the window is missing for the analysis.",
        "Improvement % = (baseline PASI − week-12 PASI) / baseline PASI × 100, per subject: negative when PASI "
        "worsened, at most 100, and not computable when the baseline PASI is 0 or either value is missing. The "
        "primary summary is n, mean, SD (denominator n − 1), the 95 % confidence interval of the mean from the t "
        "distribution with n − 1 degrees of freedom, median, minimum and maximum. With one subject the SD and the "
        "interval are not computable and are reported as such.",
        f"A subject is a PASI{thresholds} responder when the improvement is at least 50/75/90/100 %, decided "
        "exactly on PASI in tenths (100 × (B − W) ≥ threshold × B), never on rounded percentages. Each rate "
        "carries the exact Clopper–Pearson 95 % confidence interval.",
        "Change from baseline is week-12 PASI − baseline PASI (negative = better), for every subject with both "
        "values (a baseline of 0 included). Its mean, the Hodges–Lehmann estimate (the median of all pairwise "
        "Walsh averages of the changes) and the two-sided Wilcoxon signed-rank test are given; zero changes are "
        f"dropped from the test. The exact distribution is used with at most {EXACT_MAX_N} changes, none 0 and no "
        "tied absolute values; otherwise the normal approximation with continuity correction and tie-corrected "
        "variance, as stated beside the p-value. No hypothesis test was registered, so every p-value is "
        "exploratory.",
        "Missing data. " + statement(rule, window),
        f"Numbers are rounded to {SIGNIFICANT_DIGITS} significant digits in endpoints.json. The data SHA-256 is "
        f"computed over a canonical text of the input ({CANONICAL_HEADER}: rows sorted by subject and date), so "
        "the same data give the same hash whether read from a CSV file or from the study database.",
    )
