"""Backup → restore round trips on both engines and across them: every row identical, the chain verifying."""

from __future__ import annotations

import datetime as dt
import gzip
import secrets
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from dermtrial.errors import InvalidInput
from dermtrial.services import Conflict, unit_of_work
from dermtrial.services.auth import login
from dermtrial.services.backup import backup_database, restore_database
from dermtrial.services.forms import save_form
from dermtrial.store.audit import verify_chain
from dermtrial.store.backup import tables
from dermtrial.store.engine import Database
from dermtrial.store.models import AuditEvent, FormInstance, LabResult, ReferenceRange, SubjectIdentity
from dermtrial.store.restore import table_rows
from tests.conftest import NOW, PASSWORD, PG_SERVER, StudySetup, _maintenance
from tests.services.test_forms import PASI, add_subject


def fill(study: StudySetup) -> int:
    """Study data of every kind of value: JSON, decimals, dates, bytes (the study key), identifying data."""
    li = study.user("li", "coordinator", "GZ01")
    subject = add_subject(study, li)
    save_form(study.db, li, subject_id=subject, form_code="PASI", item_values=PASI, status="complete", now=NOW)
    saved = save_form(study.db, li, subject_id=subject, form_code="VS", item_values={"SYSBP": "120"}, now=NOW)
    save_form(study.db, li, subject_id=subject, form_code="VS", form_id=saved.form_id, expected_version=1,
              item_values={"SYSBP": "121"}, reason="typo", now=NOW + dt.timedelta(microseconds=7))  # fmt: skip
    with unit_of_work(study.db, actor=li, now=NOW) as work:
        work.require("form.write", study.sites["GZ01"])
        work.add(ReferenceRange(site_id=study.sites["GZ01"], laboratory="Central", test_code="ALT",
                                lower=Decimal("7.5"), upper=Decimal("40.125"), unit="U/L",
                                effective_from=dt.date(2026, 1, 1)), study_id=study.study_id)  # fmt: skip
        work.add(LabResult(subject_id=subject, test_code="ALT", value_text="42.10", value=Decimal("42.10"),
                           unit="U/L", collected_local="2026-03-04T07:30", collected_tz="Asia/Shanghai"),
                 study_id=study.study_id, subject_id=subject)  # fmt: skip
        work.add(SubjectIdentity(subject_id=subject, family_name="Zhang", birth_date="1980-02-29", updated_at=NOW),
                 study_id=study.study_id, subject_id=subject)  # fmt: skip
    return subject


def snapshot_rows(db: Database) -> dict[str, list[tuple[object, ...]]]:
    with db.engine.connect() as connection:
        return {table.name: table_rows(connection, table) for table in tables()}


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with nothing in it, not even a schema, on each engine."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'restored.db'}")
        yield db
        db.dispose()
        return
    name = f"dermtrial_test_restore_{secrets.token_hex(4)}"
    _maintenance(f'CREATE DATABASE "{name}"')
    db = Database(f"{PG_SERVER}/{name}")
    try:
        yield db
    finally:
        db.dispose()
        _maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.requirement("REG-BACKUP-01")
def test_backup_then_restore_gives_every_row_back_and_the_chain_verifies(
    study: StudySetup, target: Database, tmp_path: Path
) -> None:
    subject = fill(study)
    before = snapshot_rows(study.db)
    assert before["lab_result"]
    assert before["subject_identity"]
    assert before["study_key"]
    kinds = ["sqlite", "portable"] if study.db.is_sqlite else ["portable"]
    for kind in kinds:
        out = tmp_path / f"backup.{kind}"
        made = backup_database(study.db, out, now=NOW, backup_format=kind)
        assert made.rows["audit_event"] == len(before["audit_event"])
        report = restore_database(target, out, force=True)
        assert report.chain is not None
        assert report.chain.ok
        after = snapshot_rows(target)
        assert [name for name in before if before[name] != after[name]] == [], f"{kind} backup"
    # The restored database takes new writes: keys continue after the restored ones (PostgreSQL sequences), and
    # the chain goes on from the restored head.
    coordinator = login(target, username="li", password=PASSWORD, now=NOW).actor
    saved = save_form(target, coordinator, subject_id=subject, form_code="VS", item_values={"PULSE": "60"}, now=NOW)
    assert saved.form_id > max(row[0] for row in before["form_instance"])
    with target.reading() as session:
        assert verify_chain(session).ok


@pytest.mark.requirement("REG-BACKUP-01")
def test_restore_refuses_a_database_with_data_unless_forced(study: StudySetup, tmp_path: Path) -> None:
    fill(study)
    out = tmp_path / "backup.portable"
    backup_database(study.db, out, now=NOW, backup_format="portable")
    before = snapshot_rows(study.db)
    with pytest.raises(Conflict, match="holds data"):
        restore_database(study.db, out)
    assert snapshot_rows(study.db) == before
    restore_database(study.db, out, force=True)
    assert snapshot_rows(study.db) == before


@pytest.mark.requirement("REG-BACKUP-01")
def test_a_truncated_or_altered_portable_backup_is_refused_and_nothing_is_restored(
    study: StudySetup, target: Database, tmp_path: Path
) -> None:
    fill(study)
    out = tmp_path / "backup.portable"
    backup_database(study.db, out, now=NOW, backup_format="portable")
    lines = gzip.decompress(out.read_bytes()).decode("utf-8").splitlines(keepends=True)
    truncated = tmp_path / "truncated.portable"
    truncated.write_bytes(gzip.compress("".join(lines[:-5]).encode("utf-8")))
    with pytest.raises(InvalidInput, match="truncated"):
        restore_database(target, truncated)
    altered = tmp_path / "altered.portable"
    changed = [line.replace('"121"', '"131"') for line in lines]
    assert changed != lines
    altered.write_bytes(gzip.compress("".join(changed).encode("utf-8")))
    with pytest.raises(InvalidInput, match="altered"):
        restore_database(target, altered)
    with target.engine.connect() as connection:
        assert "audit_event" not in inspect(connection).get_table_names()


@pytest.mark.requirement("REG-BACKUP-01")
def test_a_backup_taken_while_writers_run_is_consistent(study: StudySetup, tmp_path: Path) -> None:
    li = study.user("li", "coordinator", "GZ01")
    subject = add_subject(study, li)
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            save_form(study.db, li, subject_id=subject, form_code="VS", item_values={"PULSE": "70"}, now=NOW)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        outs = []
        for n, kind in enumerate(["sqlite", "portable"] if study.db.is_sqlite else ["portable"]):
            outs.append(tmp_path / f"b{n}")
            backup_database(study.db, outs[-1], now=NOW, backup_format=kind)
    finally:
        stop.set()
        writer.join()
    for n, out in enumerate(outs):
        restored = Database(f"sqlite:///{tmp_path / f'r{n}.db'}")
        restore_database(restored, out)
        with restored.reading() as session:
            forms = session.scalar(select(func.count()).select_from(FormInstance))
            created = session.scalar(
                select(func.count()).where(AuditEvent.event_type == "create", AuditEvent.entity_type == "form_instance")
            )
            assert forms == created
            assert verify_chain(session).ok
        restored.dispose()


def test_a_forced_restore_replaces_tables_this_version_does_not_know(study: StudySetup, tmp_path: Path) -> None:
    # A target used by a later dermtrial has a table this version lacks: its rows count as data, and --force drops it.
    fill(study)
    out = tmp_path / "backup.portable"
    backup_database(study.db, out, now=NOW, backup_format="portable")
    target = Database(f"sqlite:///{tmp_path / 'later.db'}")
    with target.write_connection() as connection:
        connection.exec_driver_sql("CREATE TABLE later_feature (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("INSERT INTO later_feature VALUES (1)")
    with pytest.raises(Conflict, match="holds data"):
        restore_database(target, out)
    restore_database(target, out, force=True)
    with target.engine.connect() as connection:
        assert "later_feature" not in inspect(connection).get_table_names()
    assert snapshot_rows(target) == snapshot_rows(study.db)
    target.dispose()
