"""Synthetic subjects and whole studies for a protocol: seeded, reproducible, clinically plausible.

:func:`generate_cohort` is pure: it draws candidates (demographics, weight, screening scores and labs, some failing
screening for a real reason) and each eligible one's course (visits, PASI under the response model, the other
instruments, infusions, ointment weighings, laboratory results, adverse events). :func:`write_csv` writes the long CSV
that ``dermtrial analyze`` reads. :func:`fill_study` replays a cohort through the services, so every rule and the
audit trail apply. Parameters and their sources: ``data/psoriasis.yaml``; the whole story: docs/simulate.md.
"""

from dermtrial.simulate.cohort import count_eligible, generate_cohort, site_specs
from dermtrial.simulate.csv_out import HEADER, csv_rows, write_csv
from dermtrial.simulate.model import SimSubject, SiteSpec
from dermtrial.simulate.params import Params, load_params

__all__ = [
    "HEADER",
    "Params",
    "SimSubject",
    "SiteSpec",
    "count_eligible",
    "csv_rows",
    "generate_cohort",
    "load_params",
    "site_specs",
    "write_csv",
]
