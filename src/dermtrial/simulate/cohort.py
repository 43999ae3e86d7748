"""The cohort: ``subjects`` candidates spread over ``sites``, each drawn from its own seeded stream, in the order they
would be screened.

The k-th eligible candidate of the cohort (k drawn once per seed from 1–8) has the study's one serious adverse event,
and another of the first eight eligible ones uses more than 100 g of ointment in one interval; so a study with at
least 8 enrolled subjects has exactly one SAE and exactly one such interval, and a smaller one at most one of each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from dermtrial.protocol.model import Protocol
from dermtrial.simulate._draw import rng_for
from dermtrial.simulate.background import draw_background
from dermtrial.simulate.course import Roles, draw_course
from dermtrial.simulate.model import SimSubject, SiteSpec
from dermtrial.simulate.params import Params, load_params
from dermtrial.simulate.screening import draw_candidate

#: Designations are drawn among the first this many eligible candidates (the registered trial's size).
FIRST_ENROLLED = 8
PI_NAME = "Simulated Investigator"


def site_specs(protocol: Protocol, count: int) -> list[SiteSpec]:
    """``count`` sites: the protocol's own sites first (NCT03392311: GDTCM), then SIM02, SIM03 … in the first site's
    time zone."""
    listed = [SiteSpec(s.id, s.name, s.timezone or "UTC") for s in protocol.identity.sites]
    zone = listed[0].timezone if listed else "UTC"
    specs = listed[:count]
    for number in range(len(specs) + 1, count + 1):
        specs.append(SiteSpec(f"SIM{number:02d}", f"Simulated site {number}", zone))
    return specs


def study_start(protocol: Protocol) -> dt.date:
    """The first consent date: the protocol's registered start date (else its effective date)."""
    start = protocol.identity.start
    if start is None:
        return protocol.effective_date
    parts = [int(part) for part in str(start.date).split("-")]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def roles_for(seed: int) -> tuple[int, int]:
    """The (1-based) eligible candidates who carry the SAE and the week of ointment above 100 g."""
    rng = rng_for(seed, "study")
    serious = rng.randint(1, FIRST_ENROLLED)
    heavy = rng.choice([k for k in range(1, FIRST_ENROLLED + 1) if k != serious])
    return serious, heavy


def generate_cohort(
    protocol: Protocol,
    *,
    subjects: int,
    sites: int = 1,
    seed: int = 1,
    params: Params | None = None,
    first_sequence: Mapping[str, int] | None = None,
) -> Iterator[SimSubject]:
    """Yield every candidate with their whole course, in screening order (pure: same arguments, same subjects).

    ``first_sequence`` gives, per site code, the running number to start from (a study that already holds
    candidates continues their numbering)."""
    if subjects < 1:
        raise ValueError(f"subjects must be at least 1, not {subjects}")
    if sites < 1:
        raise ValueError(f"sites must be at least 1, not {sites}")
    params = params or load_params()
    specs = site_specs(protocol, sites)
    start = study_start(protocol)
    serious, heavy = roles_for(seed)
    taken = {spec.code: (first_sequence or {}).get(spec.code, 1) - 1 for spec in specs}
    eligible = 0
    for index in range(subjects):
        rng = rng_for(seed, "candidate", index)
        site = specs[index % len(specs)]
        taken[site.code] += 1
        subject = draw_candidate(
            protocol, params, rng, index=index, site=site, seq=taken[site.code], start=start, pi_name=PI_NAME
        )
        if subject.eligible:
            eligible += 1
            draw_course(protocol, params, subject, rng, Roles(eligible == serious, eligible == heavy))
        draw_background(protocol, subject, rng_for(seed, "forms", index))
        yield subject


def count_eligible(*, subjects: int, seed: int = 1, params: Params | None = None) -> int:
    """How many candidates of the cohort are drawn eligible, without drawing anything else (the first draw of each
    candidate's stream decides whether they fail screening)."""
    rate = (params or load_params()).number("screen_failure.rate")
    return sum(1 for index in range(subjects) if rng_for(seed, "candidate", index).random() >= rate)
