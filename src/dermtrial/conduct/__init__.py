"""Study conduct, pure: subject numbers, weight-based dose, visit schedule and windows, statuses, accountability.

No I/O and no clock: dates, "today" and the protocol are arguments. One rule per module, tested in
``tests/conduct/test_<module>.py``; docs/conduct.md explains the rules.
"""

from dermtrial.conduct.conmeds import ConMed, ConMedFinding, check_prohibited_medication
from dermtrial.conduct.consent_order import check_after_consent
from dermtrial.conduct.custody import ProductUnit, check_custody
from dermtrial.conduct.diary import Compliance, expected_applications, score_diary_compliance
from dermtrial.conduct.dose_tolerance import ToleranceResult, check_dose_tolerance
from dermtrial.conduct.dosing import DoseResult, check_weight, compute_dose
from dermtrial.conduct.form_status import FORM_STATUSES, check_form_transition, is_missing
from dermtrial.conduct.numbering import format_subject_number
from dermtrial.conduct.ointment import WeeklyUse, average_grams_per_week
from dermtrial.conduct.raters import RaterChange, flag_rater_changes
from dermtrial.conduct.rules import DEFAULT_RULES, ConductRules, rules_for
from dermtrial.conduct.schedule import PlannedVisit, plan_schedule, plan_visit, study_day
from dermtrial.conduct.subject_status import check_study_status, check_treatment_status
from dermtrial.conduct.unscheduled import choose_for_timepoint, may_serve_timepoint
from dermtrial.conduct.visit_status import derive_visit_status, is_overdue
from dermtrial.conduct.windows import classify_window, days_outside

__all__ = [
    "DEFAULT_RULES",
    "FORM_STATUSES",
    "Compliance",
    "ConMed",
    "ConMedFinding",
    "ConductRules",
    "DoseResult",
    "PlannedVisit",
    "ProductUnit",
    "RaterChange",
    "ToleranceResult",
    "WeeklyUse",
    "average_grams_per_week",
    "check_after_consent",
    "check_custody",
    "check_dose_tolerance",
    "check_form_transition",
    "check_prohibited_medication",
    "check_study_status",
    "check_treatment_status",
    "check_weight",
    "choose_for_timepoint",
    "classify_window",
    "compute_dose",
    "days_outside",
    "derive_visit_status",
    "expected_applications",
    "flag_rater_changes",
    "format_subject_number",
    "is_missing",
    "is_overdue",
    "may_serve_timepoint",
    "plan_schedule",
    "plan_visit",
    "rules_for",
    "score_diary_compliance",
    "study_day",
]
