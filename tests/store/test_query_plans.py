"""No write path reads a whole large table: every SELECT that filling a study through the services runs, and the
history of a record, is planned by SQLite with an index on the study-sized tables (a full scan there makes a
50,000-subject study quadratic: each new subject would read every row written before it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from dermtrial.protocol.builtin import load_builtin
from dermtrial.services.accounts import add_user
from dermtrial.services.auth import login
from dermtrial.services.review_reads import record_history
from dermtrial.simulate.run import run_simulation
from dermtrial.simulate.setup import SIM_ADMIN, SIM_PASSWORD
from dermtrial.store.base import utc_now
from dermtrial.store.engine import Database
from dermtrial.store.models import FormInstance, Site, Subject

#: Tables that grow with the number of subjects (small tables such as users, roles and sites may be scanned).
STUDY_SIZED = ("audit_event", "signature", "form_instance", "lab_result", "visit", "exposure", "subject", "consent",
               "adverse_event", "eligibility_evaluation", "data_query", "sdv_status", "subject_identity")  # fmt: skip


@contextmanager
def _selects(db: Database) -> Iterator[dict[str, Any]]:
    seen: dict[str, Any] = {}

    def remember(_c: Any, _cursor: Any, statement: str, params: Any, _context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            seen.setdefault(statement, params)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)


def _full_scans(path: Path, statements: dict[str, Any]) -> list[str]:
    found = []
    with sqlite3.connect(path) as connection:
        for statement, params in statements.items():
            for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", params):
                detail = row[3]
                table = detail.split()[1] if detail.startswith("SCAN ") else None
                if table in STUDY_SIZED and "USING" not in detail:
                    found.append(f"{detail}: {' '.join(statement.split())[:200]}")
    return found


def test_filling_a_study_and_reading_a_record_history_never_scan_a_study_sized_table(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    db = Database(f"sqlite:///{path}")
    protocol = load_builtin("NCT03392311")
    with _selects(db) as statements:
        run_simulation(protocol, "NCT03392311", subjects=6, sites=2, seed=13, db=db, csv_path=None)
    with db.reading() as session:
        form_id, site = session.execute(
            select(FormInstance.id, Site.code)
            .join(Subject, Subject.id == FormInstance.subject_id)
            .join(Site, Site.id == Subject.site_id)
            .where(FormInstance.form_code == "PASI")
        ).first() or (None, None)
    assert form_id is not None
    assert site is not None
    admin = login(db, username=SIM_ADMIN, password=SIM_PASSWORD, now=utc_now()).actor
    add_user(db, admin, username="dm", full_name="Data Manager", password=SIM_PASSWORD, role="data-manager",
             site_code=None, now=utc_now())  # fmt: skip
    reader = login(db, username="dm", password=SIM_PASSWORD, now=utc_now()).actor
    with _selects(db) as history_reads:
        assert record_history(db, reader, entity_type="form_instance", entity_id=form_id)
    statements.update(history_reads)
    assert len(statements) > 50  # the capture saw the services' reads
    assert _full_scans(path, statements) == []
