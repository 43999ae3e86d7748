"""Seriousness of an adverse event by ICH E2A (Clinical Safety Data Management, 1994, section II.B).

An adverse event is serious when it results in death, is life-threatening, requires inpatient hospitalisation or
prolongs an existing hospitalisation, results in persistent or significant disability/incapacity, is a congenital
anomaly/birth defect, or is an important medical event in the investigator's judgement. The criteria are recorded as
codes; the event is serious when at least one is ticked. "Fatal or life-threatening" selects the 7-day expedited
clock.
"""

from __future__ import annotations

from collections.abc import Iterable

SERIOUSNESS_CRITERIA: dict[str, str] = {
    "death": "Results in death",
    "life_threatening": "Is life-threatening",
    "hospitalisation": "Requires inpatient hospitalisation or prolongation of existing hospitalisation",
    "disability": "Results in persistent or significant disability/incapacity",
    "congenital_anomaly": "Is a congenital anomaly/birth defect",
    "medically_important": "Is an important medical event (investigator's judgement)",
}
"""ICH E2A seriousness criteria: code → the criterion in words."""


def check_seriousness(criteria: Iterable[str]) -> str | None:
    """None when every code is an ICH E2A criterion; otherwise the message naming the bad code and the allowed ones."""
    for code in criteria:
        if code not in SERIOUSNESS_CRITERIA:
            return f'"{code}" is not a seriousness criterion: allowed are {", ".join(SERIOUSNESS_CRITERIA)}'
    return None


def is_serious(criteria: Iterable[str]) -> bool:
    """True when at least one ICH E2A criterion is met."""
    return any(code in SERIOUSNESS_CRITERIA for code in criteria)


def is_fatal_or_life_threatening(criteria: Iterable[str]) -> bool:
    """True when the event resulted in death or was life-threatening (the 7-day SUSAR clock)."""
    return any(code in ("death", "life_threatening") for code in criteria)
