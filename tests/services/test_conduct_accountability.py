"""Ointment tubes through the services: 100.0 g/week no alert, 100.1 alert linked to the next calcium result."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dermtrial.services import Conflict
from dermtrial.services.accountability import dispense_tube, ointment_alerts, return_tube
from dermtrial.store.models import LabResult
from tests.conftest import NOW, StudySetup
from tests.services.conduct_setup import enrolled, on_study_day
from tests.services.helpers import events


@pytest.mark.requirement("CLIN-OINT-01")
def test_tubes_alert_only_above_the_limit_and_link_the_next_calcium(study: StudySetup) -> None:
    case = enrolled(study)
    db, crc = study.db, case.crc
    for tube, out in (("T1", "250.0"), ("T2", "250.2")):
        dispense_tube(
            db, crc, subject_id=case.subject_id, tube_id=tube, lot="C19", expiry=dt.date(2020, 6, 30),
            weight_g=Decimal(out), dispensed_local=on_study_day(1), now=NOW,
        )  # fmt: skip
    with pytest.raises(Conflict, match="already dispensed"):
        dispense_tube(
            db, crc, subject_id=case.subject_id, tube_id="T1", lot="C19", expiry=dt.date(2020, 6, 30),
            weight_g=Decimal(100), dispensed_local=on_study_day(1), now=NOW,
        )  # fmt: skip
    exact = return_tube(db, crc, subject_id=case.subject_id, tube_id="T1", weight_g=Decimal("50.0"),
                        returned_local=on_study_day(15), now=NOW)  # fmt: skip
    above = return_tube(db, crc, subject_id=case.subject_id, tube_id="T2", weight_g=Decimal("50.0"),
                        returned_local=on_study_day(15), now=NOW)  # fmt: skip
    assert (exact.use.grams_per_week, exact.use.above_limit) == (Decimal("100.0"), False)
    assert (above.use.grams_per_week, above.use.above_limit) == (Decimal("100.1"), True)
    alerts = [e for e in events(db, subject_id=case.subject_id) if e["event_type"] == "safety-alert"]
    assert [e["entity_id"] for e in alerts] == [str(above.exposure_id)]

    (pending,) = ointment_alerts(db, crc, subject_id=case.subject_id)
    assert (pending.tube_id, pending.grams_per_week, pending.next_calcium_result_id) == ("T2", "100.1", None)
    with db.writing() as session:
        for day, value in ((10, "2.40"), (16, "2.95")):  # one before the return, one after
            session.add(
                LabResult(
                    subject_id=case.subject_id, test_code="CA", value_text=value, value=Decimal(value), unit="mmol/L",
                    collected_local=f"{on_study_day(day)}T08:00", collected_tz="Asia/Shanghai", created_at=NOW,
                )
            )  # fmt: skip
        session.commit()
    (linked,) = ointment_alerts(db, crc, subject_id=case.subject_id)
    with db.reading() as session:
        assert session.get_one(LabResult, linked.next_calcium_result_id).value_text == "2.95"
