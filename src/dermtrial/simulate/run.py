"""One simulation run: the cohort generated and, with a database, replayed through the services; with a CSV path,
its PASI rows written (atomically) as well."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from dermtrial.protocol.model import Protocol
from dermtrial.services.passwords import hashing_profile
from dermtrial.simulate.cohort import count_eligible, generate_cohort, site_specs
from dermtrial.simulate.csv_out import HEADER, csv_rows
from dermtrial.simulate.driver import fill_subject
from dermtrial.simulate.model import SimSubject
from dermtrial.simulate.params import Params, load_params
from dermtrial.simulate.replay import Filled
from dermtrial.simulate.setup import open_study
from dermtrial.store.base import utc_now
from dermtrial.store.engine import Database


@dataclass
class RunResult:
    """What a run did."""

    candidates: int = 0
    eligible: int = 0
    csv_rows: int = 0
    filled: Filled | None = None
    study_id: int | None = None
    notes: list[str] = field(default_factory=list)


@contextmanager
def _atomic_csv(path: Path | None) -> Iterator[TextIO | None]:
    if path is None:
        yield None
        return
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(",".join(HEADER) + "\n")
            yield stream
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def run_simulation(
    protocol: Protocol,
    protocol_arg: str,
    *,
    subjects: int,
    sites: int,
    seed: int,
    db: Database | None,
    csv_path: Path | None,
    on_subject: Callable[[SimSubject], None] = lambda _: None,
    params: Params | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    batch: bool = True,
) -> RunResult:
    """Generate ``subjects`` candidates over ``sites`` with ``seed``; fill ``db`` through the services when given;
    write the long CSV to ``csv_path`` when given. ``on_subject`` is called after each candidate (progress).

    With ``batch`` (the default) each candidate is filled in one batch, one transaction for all its use cases;
    ``batch=False`` runs every use case as its own transaction, as a site entering data by hand does (the same rows
    and audit events, slower; the baseline of ``benchmarks/bench_simulate.py``)."""
    params = params or load_params()
    specs = site_specs(protocol, sites)
    result = RunResult()
    first: dict[str, int] | None = None
    study = None
    if db is not None:
        eligible = count_eligible(subjects=subjects, seed=seed, params=params)
        with hashing_profile("cheapest"):  # the accounts' one password is published: see services.passwords
            study = open_study(db, protocol, protocol_arg, specs, eligible, params, clock)
        first, result.study_id, result.notes = study.first_sequence, study.study_id, study.notes
        result.filled = Filled()
    with _atomic_csv(csv_path) as stream:
        for subject in generate_cohort(
            protocol, subjects=subjects, sites=sites, seed=seed, params=params, first_sequence=first
        ):
            result.candidates += 1
            result.eligible += subject.eligible
            if db is not None and study is not None and result.filled is not None:
                if batch:
                    with db.batch(savepoints=False):  # one transaction per subject (any error stops the run)
                        fill_subject(db, protocol, study, subject, clock, result.filled)
                else:
                    fill_subject(db, protocol, study, subject, clock, result.filled)
            if stream is not None:
                for row in csv_rows(subject):
                    stream.write(",".join(row) + "\n")
                    result.csv_rows += 1
            on_subject(subject)
    return result
