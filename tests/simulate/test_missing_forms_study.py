"""``dermtrial report missing-forms`` on a 12-candidate simulated study (seed 13, as test_study.py) lists no form
that the services did record another way: no LB (laboratory results), OINT (tubes), PREG (men and women not of
child-bearing potential), EOT (saved without a visit) or IC (the consent). Only the visits that never took place are
listed. SQLite only: the same code runs on PostgreSQL in tests/services/test_expected_forms.py."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from dermtrial.protocol.builtin import load_builtin
from dermtrial.services.auth import login
from dermtrial.services.matrix import subject_matrix
from dermtrial.services.missing_forms import missing_forms
from dermtrial.simulate.run import run_simulation
from dermtrial.simulate.setup import SIM_PASSWORD
from dermtrial.store.engine import Database
from dermtrial.store.models import Site, Subject, Visit

SEED = 13
LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)  # every window of the simulated study has closed
KEPT_ELSEWHERE = {"LB", "OINT", "PREG", "EOT", "IC"}


def test_a_simulated_study_lists_only_forms_really_missing(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    template: Path = request.getfixturevalue("_sqlite_template")  # a migrated empty database (tests/conftest.py)
    path = tmp_path / "study.db"
    shutil.copy(template, path)
    db = Database(f"sqlite:///{path}")
    try:
        result = run_simulation(
            load_builtin("NCT03392311"), "NCT03392311", subjects=12, sites=1, seed=SEED, db=db, csv_path=None
        )
        assert result.filled is not None
        assert result.filled.enrolled == 8
        with db.reading() as session:
            site = session.scalars(select(Site.code)).one()
            visits = session.execute(
                select(Subject.subject_number, Visit.visit_code, Visit.visit_local)
                .join(Subject, Subject.id == Visit.subject_id)
                .where(Visit.repeat == 1, Subject.subject_number.isnot(None))
            ).all()
        crc = login(db, username=f"sim.crc.{site.lower()}", password=SIM_PASSWORD, now=LATER).actor
        rows = missing_forms(db, crc, now=LATER)
        matrix = subject_matrix(db, crc, now=LATER)
    finally:
        db.dispose()
    attended = {(number, code) for number, code, local in visits if local is not None}
    not_attended = {(number, code) for number, code, local in visits if local is None}
    assert attended  # the simulator recorded the visits it drew
    kept_elsewhere = [r for r in rows if r.form in KEPT_ELSEWHERE and (r.subject, r.visit) in attended]
    assert kept_elsewhere == []  # the false positives of old
    at_attended = [r for r in rows if (r.subject, r.visit) in attended]
    assert at_attended == []  # everything a visit that took place needs was recorded by some service
    assert {(r.subject, r.visit) for r in rows} <= not_attended
    assert all(r.overdue for r in rows)
    # the matrix tells the same story: every visit that took place is complete (or further along)
    columns = [code for code, _ in matrix.visits]
    for row in matrix.rows:
        for code, state in zip(columns, row.cells, strict=True):
            if (row.number, code) in attended:
                assert state in {"complete", "verified", "signed", "locked"}, (row.number, code, state)
