"""Through the services: the study's protocol file, not code, sets the dose tolerance and the custody time limit;
the stored infusion says which limit applied and where it came from."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from dermtrial.protocol.builtin import builtin_text
from dermtrial.services.accounts import init_database
from dermtrial.services.auth import login
from dermtrial.services.dosing import Infusion, record_infusion
from dermtrial.services.studies import add_site, create_study
from dermtrial.services.visits import record_visit
from dermtrial.store.engine import Database
from dermtrial.store.models import Deviation, Exposure
from tests.conftest import ADMIN_PASSWORD, NOW, StudySetup
from tests.services.conduct_setup import enrolled, on_study_day, product_unit


def _study(db: Database, protocol: str) -> StudySetup:
    init_database(db, username="admin", full_name="Ada Admin", password=ADMIN_PASSWORD, now=NOW)
    admin = login(db, username="admin", password=ADMIN_PASSWORD, now=NOW).actor
    study_id = create_study(db, admin, protocol=protocol, now=NOW)
    site = add_site(db, admin, code="GZ01", name="Guangzhou", timezone="Asia/Shanghai", now=NOW)
    return StudySetup(db, admin, study_id, {"GZ01": site})


@pytest.mark.parametrize(
    ("variant", "dose_given", "prepared", "expected"),
    [
        # +5.0 % at 08:00 → 10:00 (120 minutes): inside both files' limits.
        ("shipped", 131_250_000, "08:00", []),
        ("tight", 131_250_000, "08:00", []),  # the edge of 5 % is inside
        # +5.6 %, 240 minutes after preparation: inside the shipped 10 % / 360 minutes, outside 5 % / 180 minutes.
        ("shipped", 132_000_000, "06:00", []),
        ("tight", 132_000_000, "06:00", ["custody", "dosing"]),
        ("tight", 131_250_000, "07:00", []),  # 180 minutes: the edge is inside
        ("tight", 131_250_000, "06:59", ["custody"]),
    ],
)
def test_the_protocol_file_sets_tolerance_and_time_limit(
    db: Database, tmp_path: Path, variant: str, dose_given: int, prepared: str, expected: list[str]
) -> None:
    text = builtin_text("NCT03392311")
    if variant == "tight":
        text = text.replace("tolerance_percent: 10", "tolerance_percent: 5").replace(
            "max_minutes_preparation_to_start: 360", "max_minutes_preparation_to_start: 180"
        )
    path = tmp_path / "protocol.yaml"
    path.write_text(text, encoding="utf-8")
    study = _study(db, str(path))
    case = enrolled(study)
    record_visit(db, case.crc, subject_id=case.subject_id, visit_code="day1", visit_local=on_study_day(1), now=NOW)
    infusion = Infusion(
        visit_code="day1",
        weight_kg=Decimal("62.5"),
        dose_given=Decimal(dose_given),
        started_local=f"{on_study_day(1)}T10:00",
        ended_local=f"{on_study_day(1)}T10:45",
        unit=product_unit("BAG-1", f"{on_study_day(1)}T{prepared}"),
    )
    recorded = record_infusion(db, case.crc, subject_id=case.subject_id, infusion=infusion, now=NOW)
    assert recorded.within_tolerance is ("dosing" not in expected)
    tolerance = {
        "value": "5" if variant == "tight" else "10",
        "source": "protocol interventions.admsc.dose.tolerance_percent",
    }
    assert recorded.limits["dose_tolerance_percent"] == tolerance
    with db.reading() as session:
        found = sorted(d.category for d in session.scalars(select(Deviation)))
        stored = session.scalars(select(Exposure)).one().custody
    assert found == expected
    assert stored["limits"]["dose_tolerance_percent"] == tolerance  # type: ignore[index]
    if "dosing" in expected:
        with db.reading() as session:
            description = session.scalars(select(Deviation).where(Deviation.category == "dosing")).one().description
        assert "tolerance ±5 %, protocol interventions.admsc.dose.tolerance_percent" in description
