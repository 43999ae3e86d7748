"""The read use case behind ``dermtrial report``: permission and site scope, nothing written, data cuts (verified,
read as taken, refused once changed); on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from dermtrial.services import NotFound, PermissionDenied
from dermtrial.services.analysis_data import DataCutChanged, load_analysis_data
from dermtrial.services.datacut import create_data_cut
from dermtrial.services.safety_ae import AdverseEventInput, record_adverse_event
from dermtrial.services.subjects import set_study_status
from tests.conftest import NOW
from tests.services.helpers import audit_count
from tests.study_analysis.study_setup import SmallStudy


def test_the_read_writes_nothing_and_sees_only_permitted_sites(small: SmallStudy) -> None:
    db = small.setup.db
    before = audit_count(db)
    data = load_analysis_data(db, small.statistician)
    assert audit_count(db) == before  # not one audit event: the report is a read
    assert data.subjects.height == 5
    assert (data.sites, data.data_cut, data.audit_seq) == (("GZ01", "SH02"), None, None)
    elsewhere = small.setup.user("dr.liu", "investigator", "SH02")
    other = load_analysis_data(db, elsewhere)
    assert (other.sites, other.subjects.height, other.assessments.height, other.adverse_events.height) == (
        ("SH02",), 0, 0, 0,
    )  # fmt: skip
    here = load_analysis_data(db, small.pi)
    assert here.subjects.height == 5
    admin = small.setup.user("ops", "administrator", None)
    with pytest.raises(PermissionDenied, match=r"may not subject\.read"):
        load_analysis_data(db, admin)


@pytest.mark.requirement("REG-INTEG-07")
def test_a_data_cut_is_read_as_taken_and_refused_once_changed(small: SmallStudy) -> None:
    db = small.setup.db
    manager = small.setup.user("dm.sun", "data-manager", None)
    cut = create_data_cut(db, manager, name="primary-endpoint", reason="week 12 done", now=NOW)
    later = AdverseEventInput(verbatim="headache", term="Headache", start="2019-11-01", grade=1)
    record_adverse_event(db, small.crc, subject_id=small.ids["B"], event=later, now=NOW)  # after the cut
    live = load_analysis_data(db, small.statistician)
    assert live.adverse_events.height == 7
    for identifier in ("primary-endpoint", str(cut.id)):
        frozen = load_analysis_data(db, small.statistician, cut=identifier)
        assert frozen.adverse_events.height == 6  # the later event is not part of the cut
        assert frozen.data_cut is not None
        assert (frozen.data_cut.identifier, frozen.data_cut.snapshot_sha256) == (cut.name, cut.snapshot_sha256)
        assert frozen.audit_seq == cut.audit_seq
        assert frozen.subjects.height == live.subjects.height
    with pytest.raises(NotFound, match='no data cut "interim-9"'):
        load_analysis_data(db, small.statistician, cut="interim-9")
    set_study_status(db, small.pi, subject_id=small.ids["B"], status="completed", reason="week 24 done", now=NOW)
    with pytest.raises(DataCutChanged, match='data cut "primary-endpoint" no longer verifies') as caught:
        load_analysis_data(db, small.statistician, cut="primary-endpoint")
    changes = caught.value.changes  # only the audited change to a record of the cut, not the sign-ins or the new AE
    assert len(changes) == 1
    assert changes[0].endswith(f"update subject {small.ids['B']} status")
