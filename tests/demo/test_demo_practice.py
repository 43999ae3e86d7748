"""The demo leaves room for a newcomer: its study plans 10 subjects (demo only; the protocol registers 8), so a new
eligible candidate is screened, evaluated, signed and enrolled through the services as ``demo.coordinator`` and
``demo.investigator``; the report of the demo run again still analyses the 8 simulated subjects (the new one is not
infused), and an eleventh subject is refused: the study is full at 10."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dermtrial.cli import app
from dermtrial.eligibility.template import template_record
from dermtrial.protocol.builtin import load_builtin
from dermtrial.services import Actor
from dermtrial.services.auth import login
from dermtrial.services.enrollment import enroll_subject, evaluate_eligibility
from dermtrial.services.errors import ServiceError
from dermtrial.services.signatures import sign_record
from dermtrial.services.subjects import screen_subject
from dermtrial.simulate.demo import DEMO_PASSWORD, DEMO_PLANNED_ENROLLMENT, DEMO_PROTOCOL
from dermtrial.store import utc_now
from dermtrial.store.engine import Database
from dermtrial.store.models import Site, Study, Subject
from tests.demo.conftest import Built


def _actor(db: Database, username: str) -> Actor:
    return login(db, username=username, password=DEMO_PASSWORD, now=utc_now()).actor


def _enroll_new_subject(db: Database, crc: Actor, pi: Actor, site: str, today: dt.date) -> tuple[int, str]:
    """Screen a new candidate consented 20 days ago, evaluate the checklist (eligible), have the investigator sign it
    and enroll it."""
    day = today - dt.timedelta(days=20)
    subject = screen_subject(
        db, crc, site_code=site, consent_version="1.0", consent_signed_local=f"{day.isoformat()}T10:00", now=utc_now()
    )
    record = template_record(load_builtin(DEMO_PROTOCOL))
    record.update(candidate="newcomer", consent_date=day.isoformat(), baseline_date=today.isoformat())
    evaluation, verdict = evaluate_eligibility(
        db, crc, subject_id=subject, record=record, evaluated_local=(day + dt.timedelta(days=10)).isoformat(),
        now=utc_now(),
    )  # fmt: skip
    assert verdict == "eligible"
    sign_record(
        db, pi, entity_type="eligibility_evaluation", entity_id=evaluation, password=DEMO_PASSWORD,
        meaning="approved", now=utc_now(),
    )  # fmt: skip
    number = enroll_subject(  # the coordinator enrolls, as in the user guide
        db, crc, subject_id=subject, enrolled_local=(day + dt.timedelta(days=15)).isoformat(), now=utc_now()
    )
    return subject, number


def test_a_newcomer_enrolls_a_subject_in_the_demo_and_the_report_still_analyses_8(built: Built, tmp_path: Path) -> None:
    copy = tmp_path / "demo.sqlite"
    shutil.copyfile(built.url.removeprefix("sqlite:///"), copy)  # the module's demo stays as built
    url = f"sqlite:///{copy}"
    assert "Demo only: the demo study's planned enrollment is 10, not the protocol's 8" in built.stdout
    assert "(2 of 10 places free)" in built.stdout
    db = Database(url)
    try:
        with db.reading() as session:
            snapshot = session.scalars(select(Study.protocol_snapshot)).one()
            site, zone = session.execute(select(Site.code, Site.timezone)).one()
        assert snapshot["design"]["enrollment"]["count"] == DEMO_PLANNED_ENROLLMENT == 10
        assert load_builtin(DEMO_PROTOCOL).design.enrollment.count == 8  # the registered protocol is unchanged
        crc, pi = _actor(db, "demo.coordinator"), _actor(db, "demo.investigator")
        today = utc_now().astimezone(ZoneInfo(zone)).date()
        subject, number = _enroll_new_subject(db, crc, pi, site, today)
        with db.reading() as session:
            stored = session.get(Subject, subject)
            assert stored is not None
            assert stored.status == "enrolled"
            assert stored.subject_number == number
            enrolled = session.scalars(select(Subject.id).where(Subject.subject_number.is_not(None))).all()
        assert len(enrolled) == 9
    finally:
        db.dispose()
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--db", url, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Reusing the demo database" in result.stdout
    assert "(13 screened, 9 of 10 planned enrolled)" in result.stdout
    assert re.search(r"enrolled\s*│\s*9\b", result.stdout)
    assert "(1 of 10 places free)" in result.stdout
    endpoints = json.loads((out / "endpoints.json").read_text())
    assert endpoints["population"]["n"] == 8  # the full analysis set: enrolled and infused; the newcomer is not
    assert endpoints["primary"]["n"] == 8


def test_the_demo_study_refuses_an_eleventh_subject(built: Built, tmp_path: Path) -> None:
    copy = tmp_path / "demo.sqlite"
    shutil.copyfile(built.url.removeprefix("sqlite:///"), copy)
    db = Database(f"sqlite:///{copy}")
    try:
        with db.reading() as session:
            site, zone = session.execute(select(Site.code, Site.timezone)).one()
        crc, pi = _actor(db, "demo.coordinator"), _actor(db, "demo.investigator")
        today = utc_now().astimezone(ZoneInfo(zone)).date()
        for _ in range(2):
            _enroll_new_subject(db, crc, pi, site, today)
        with pytest.raises(ServiceError, match="the study is full: 10 of 10 planned subjects are enrolled"):
            _enroll_new_subject(db, crc, pi, site, today)
    finally:
        db.dispose()
