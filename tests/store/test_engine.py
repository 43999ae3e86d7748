"""The engine: SQLite's single writer takes the write lock at BEGIN; readers never wait; a killed writer loses only
its own uncommitted work and leaves the chain verifiable (both engines)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import select, text

from dermtrial.store.audit import verify_chain
from dermtrial.store.engine import Database, normalise_url
from dermtrial.store.models import Site
from tests.conftest import StudySetup


def test_postgres_urls_mean_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"


def test_an_in_memory_sqlite_database_is_refused() -> None:
    with pytest.raises(ValueError, match="in-memory SQLite database cannot be shared"):
        Database("sqlite://")


def test_a_write_transaction_holds_the_write_lock_from_its_start_and_readers_still_read(study: StudySetup) -> None:
    with study.db.writing() as session:
        session.execute(select(Site.id)).all()  # only a read so far, yet the write lock is taken (BEGIN IMMEDIATE)
        if study.db.is_sqlite:
            other = sqlite3.connect(study.db.url.database or "", timeout=0)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
        with study.db.reading() as reader:
            assert len(reader.scalars(select(Site.code)).all()) == 2


KILLED_WRITER = """
import datetime as dt, os, signal, sys
from dermtrial.store.engine import Database
from dermtrial.store.models import Site
from dermtrial.store.uow import SYSTEM, UnitOfWork
db = Database(sys.argv[1])
now = dt.datetime.now(dt.UTC)
work = UnitOfWork(db, who=SYSTEM, now=now).__enter__()
work.add(Site(study_id=1, code="KILL", name="never committed", timezone="UTC"))
from dermtrial.store.audit import append_events
append_events(work.session, work._events, now=now)
work.session.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.requirement("REG-INTEG-01")
def test_a_writer_killed_before_commit_leaves_the_database_consistent(study: StudySetup) -> None:
    with study.db.reading() as session:
        before = verify_chain(session)
    url = study.db.url.render_as_string(hide_password=False)
    killed = subprocess.run([sys.executable, "-c", textwrap.dedent(KILLED_WRITER), url], check=False, timeout=60)
    assert killed.returncode == -9
    with study.db.reading() as session:
        after = verify_chain(session)
        assert session.scalars(select(Site.code)).all() == ["GZ01", "SH02"]
    assert after.ok
    assert (after.last_seq, after.last_hash) == (before.last_seq, before.last_hash)
    with study.db.write_connection() as connection:  # and the next writer is not blocked by the dead one
        connection.execute(text("UPDATE site SET city = 'Guangzhou' WHERE code = 'GZ01'"))
