"""A writer process killed (SIGKILL) in the middle of a stream of writes leaves the database consistent and the audit
chain verifiable, on each engine; and the next writer carries on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from dermtrial.services.forms import save_form
from dermtrial.store.audit import verify_chain
from dermtrial.store.models import AuditEvent, FormInstance
from tests.conftest import NOW, PASSWORD, StudySetup
from tests.services.test_forms import add_subject

WRITER = """
import datetime as dt, sys
from dermtrial.services.auth import login
from dermtrial.services.forms import save_form
from dermtrial.store.engine import Database

db = Database(sys.argv[1])
actor = login(db, username="li", password=sys.argv[2], now=dt.datetime.now(dt.UTC)).actor
n = 0
while True:
    save_form(db, actor, subject_id=int(sys.argv[3]), form_code="VS", item_values={"PULSE": str(60 + n % 40)},
              now=dt.datetime.now(dt.UTC))
    n += 1
    print(n, flush=True)
"""


def _kill_after(url: str, subject: int, commits: int, extra_delay: float) -> int:
    """Start a writer, let it commit ``commits`` saves, kill it mid-stream; return the commits it reported."""
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, url, PASSWORD, str(subject)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    ) as child:
        assert child.stdout is not None
        reported = 0
        deadline = time.monotonic() + 60
        while reported < commits and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            reported = int(line)
        time.sleep(extra_delay)  # land somewhere inside a later transaction
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        for line in child.stdout:
            reported = int(line)
    return reported


@pytest.mark.requirement("REG-INTEG-01")
def test_a_writer_killed_mid_stream_leaves_data_and_chain_consistent(study: StudySetup) -> None:
    li = study.user("li", "coordinator", "GZ01")
    subject = add_subject(study, li)
    url = study.db.url.render_as_string(hide_password=False)
    reported = 0
    for attempt, delay in enumerate((0.0, 0.003, 0.011)):
        reported += _kill_after(url, subject, commits=15, extra_delay=delay)
        with study.db.reading() as session:
            forms = session.scalar(select(func.count()).select_from(FormInstance)) or 0
            created = session.scalar(
                select(func.count()).where(AuditEvent.event_type == "create", AuditEvent.entity_type == "form_instance")
            )
            report = verify_chain(session)
        assert report.ok, (attempt, report.problem)
        assert forms == created  # every stored form has its audit event, and no event lacks its form
        assert forms >= reported  # every save reported as committed is there (at most one more, unreported)
        assert forms <= reported + attempt + 1
    if study.db.is_sqlite:
        with study.db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    # Nothing is left locked: the next writer saves at once.
    save_form(study.db, li, subject_id=subject, form_code="VS", item_values={"PULSE": "61"}, now=NOW)
    with study.db.reading() as session:
        assert verify_chain(session).ok
