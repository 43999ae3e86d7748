"""A 12-candidate study filled through the services on SQLite and PostgreSQL: the audit chain verifies, the database
holds what the generator drew (8 enrolled, screen failures with their reasons, one SAE with its report, one tube
returned above 100 g/week, graded lab results), the CSV names the subjects the database numbered; a second run reuses
the study and continues the numbering, and one that would overfill it is refused before writing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from dermtrial.protocol.builtin import load_builtin
from dermtrial.services import InvalidInput
from dermtrial.services.access import permitted_sites
from dermtrial.services.audit import verify_audit_trail
from dermtrial.services.auth import login
from dermtrial.simulate import generate_cohort, write_csv
from dermtrial.simulate.run import run_simulation
from dermtrial.simulate.setup import SIM_PASSWORD, SIM_STATISTICIAN
from dermtrial.store.base import utc_now
from dermtrial.store.engine import Database
from dermtrial.store.models import AdverseEvent, Exposure, FormInstance, LabResult, SaeReport, Study, Subject
from tests.services.helpers import audit_count

SEED = 13  # 12 candidates, 8 drawn eligible: the registered planned enrollment, so the protocol is used unchanged


def test_a_twelve_candidate_study_through_the_services(db: Database, tmp_path: Path) -> None:
    protocol = load_builtin("NCT03392311")
    csv_path = tmp_path / "pasi.csv"
    result = run_simulation(protocol, "NCT03392311", subjects=12, sites=1, seed=SEED, db=db, csv_path=csv_path)
    drawn = list(generate_cohort(protocol, subjects=12, seed=SEED))
    assert result.filled is not None
    assert (result.filled.screened, result.filled.enrolled) == (12, 8)
    assert result.notes == []  # the built-in protocol as it is

    report = verify_audit_trail(db, None)
    assert report.ok, report
    with db.reading() as session:
        subjects = session.scalars(select(Subject).order_by(Subject.id)).all()
        assert [s.screening_number for s in subjects] == [s.screening_number for s in drawn]
        assert sum(s.subject_number is not None for s in subjects) == 8
        failed = {s.screening_number: s.status for s in subjects if s.subject_number is None}
        assert set(failed.values()) == {"screen-failed"}
        assert set(failed) == {s.screening_number for s in drawn if not s.eligible}
        study = session.scalars(select(Study)).one()
        assert study.protocol_snapshot["design"]["enrollment"]["count"] == 8  # the registered planned enrollment
        assert len(session.scalars(select(SaeReport)).all()) == 1
        assert len([e for e in session.scalars(select(AdverseEvent)) if e.serious]) == 1
        returned = session.scalars(select(Exposure).where(Exposure.kind == "returned")).all()
        assert len([r for r in returned if r.custody and r.custody.get("above_limit")]) == 1
        labs = session.scalars(select(LabResult)).all()
        assert {r.test_code for r in labs if r.grade is None} == {"CYSC"}  # no CTCAE term; all others graded
        assert all(r.reference_range_id is not None for r in labs)  # every result found its site range
        assert any(r.grade >= 1 for r in labs if r.grade is not None)  # some abnormal results, graded
        zung = session.scalars(select(FormInstance).where(FormInstance.form_code.in_(("SAS", "SDS")))).all()
        assert zung  # the screening questionnaires of every candidate
        assert all(f.status == "complete" and f.derived and f.derived["index"] is not None for f in zung)
    statistician = login(db, username=SIM_STATISTICIAN, password=SIM_PASSWORD, now=utc_now()).actor
    with db.reading() as session:  # a study-wide reader for `dermtrial report --as sim.statistician`
        assert permitted_sites(session, statistician, "subject.read") is None
        assert permitted_sites(session, statistician, "form.write") == set()
    pure = tmp_path / "pure.csv"
    write_csv(pure, generate_cohort(protocol, subjects=12, seed=SEED))
    assert csv_path.read_bytes() == pure.read_bytes()  # the database run writes what generation alone writes
    lines = csv_path.read_text().splitlines()
    assert {line.split(",")[0] for line in lines[1:]} == {s.screening_number for s in drawn}
    assert len(lines) == 1 + result.csv_rows

    # A second run reuses everything and continues the numbering (seed 1, one candidate: a screen failure).
    before = audit_count(db)
    again = run_simulation(protocol, "NCT03392311", subjects=1, sites=1, seed=1, db=db, csv_path=None)
    assert again.notes == ["reusing the NCT03392311 study (8 enrolled, 8 planned)"]
    with db.reading() as session:
        assert session.scalars(select(Subject.screening_number).order_by(Subject.id.desc())).first() == "GDTCM-S013"

    # A run whose eligible candidate has no place left is refused before anything is written.
    middle = audit_count(db)
    assert middle > before
    with pytest.raises(InvalidInput, match="places left"):
        run_simulation(protocol, "NCT03392311", subjects=1, sites=1, seed=4, db=db, csv_path=None)
    assert audit_count(db) == middle  # refused before the simulator signs in: nothing at all written
