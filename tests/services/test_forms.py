"""Saving a form: first entry, a change with a reason and the version read, refusals that write nothing."""

from __future__ import annotations

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.services import Actor, Conflict, PermissionDenied, ReasonRequired, unit_of_work
from dermtrial.services.forms import save_form
from dermtrial.store.models import FormInstance, Subject, SubjectIdentity
from tests.conftest import NOW, StudySetup
from tests.services.helpers import audit_count, count, events

PASI = {
    f"{region}.{sign}": value
    for region in ("head", "upper_limbs", "trunk", "lower_limbs")
    for sign, value in (("erythema", 2), ("induration", 1), ("desquamation", 1), ("area", 3))
}


def add_subject(study: StudySetup, actor: Actor, site: str = "GZ01", number: str = "S-001") -> int:
    """A screened subject at ``site`` (written directly; the enrolment use case is another issue's)."""
    with unit_of_work(study.db, actor=actor, now=NOW) as work:
        work.require("subject.enroll", study.sites[site])
        subject = Subject(study_id=study.study_id, site_id=study.sites[site], screening_number=number)
        work.add(subject, study_id=study.study_id, site_code=site)
        return subject.id


@pytest.mark.requirement("REG-AUDIT-01", "REG-AUDIT-04")
def test_first_entry_then_a_change_with_reason_is_audited_per_column(study: StudySetup) -> None:
    li = study.user("li", "coordinator", "GZ01")
    subject = add_subject(study, li)
    saved = save_form(study.db, li, subject_id=subject, form_code="VS", item_values={"SYSBP": "120"}, now=NOW)
    assert saved.version == 1
    changed = save_form(study.db, li, subject_id=subject, form_code="VS", form_id=saved.form_id,
                        expected_version=1, item_values={"SYSBP": "118", "PULSE": "70"}, reason="transcription error",
                        now=NOW)  # fmt: skip
    assert changed.version == 2
    update = [e for e in events(study.db, entity_type="form_instance") if e["event_type"] == "update"]
    assert [e["field"] for e in update] == ["item_values"]
    assert update[0]["new_value"] == '{"PULSE":"70","SYSBP":"118"}'
    assert update[0]["reason"] == "transcription error"
    assert update[0]["site_code"] == "GZ01"


@pytest.mark.requirement("REG-INTEG-08")
def test_a_complete_pasi_is_scored_and_the_version_of_the_rule_stored(study: StudySetup) -> None:
    li = study.user("li", "coordinator", "GZ01")
    subject = add_subject(study, li)
    saved = save_form(study.db, li, subject_id=subject, form_code="PASI", item_values=PASI, status="complete", now=NOW)
    assert saved.derived is not None
    assert saved.derived["pasi"] == 12.0
    with study.db.reading() as session:
        assert session.get_one(FormInstance, saved.form_id).instrument_version == "PASI-1978/dermtrial-1"


@pytest.mark.parametrize(
    ("form", "values", "message"),
    [
        ("VS", {"SYSBPX": "120"}, "not an item of VS"),  # unknown item code
        ("DM", {"SEX": "X"}, "not a code of sex"),  # a code outside its code list
        ("VS", {"TEMP": "36.55"}, "at most 1 decimal"),
        ("WT", {"WEIGHT": "1000"}, "outside"),
        ("PSOHX", {"DIAGDAT": "2019-13"}, "not an ISO 8601 date"),
        ("XX", {}, "not a form of the protocol"),
    ],
)
@pytest.mark.requirement("REG-INTEG-03")
def test_bad_items_are_refused_naming_the_item_and_nothing_is_written(
    study: StudySetup, form: str, values: dict[str, str], message: str
) -> None:
    li = study.user("li", "coordinator", "GZ01")
    subject = add_subject(study, li)
    before = audit_count(study.db)
    with pytest.raises(InvalidInput) as caught:
        save_form(study.db, li, subject_id=subject, form_code=form, item_values=values, now=NOW)
    assert message in str(caught.value)
    assert audit_count(study.db) == before
    assert count(study.db, FormInstance) == 0


@pytest.mark.requirement("REG-AUDIT-04", "REG-INTEG-02")
def test_a_stale_version_and_a_missing_reason_are_refused(study: StudySetup) -> None:
    li = study.user("li", "coordinator", "GZ01")
    subject = add_subject(study, li)
    saved = save_form(study.db, li, subject_id=subject, form_code="VS", item_values={"SYSBP": "120"}, now=NOW)
    save_form(study.db, li, subject_id=subject, form_code="VS", form_id=saved.form_id, expected_version=1,
              item_values={"SYSBP": "121"}, reason="typo", now=NOW)  # fmt: skip
    with pytest.raises(Conflict, match=r'yours .*"SYSBP":"125"'):
        save_form(study.db, li, subject_id=subject, form_code="VS", form_id=saved.form_id, expected_version=1,
                  item_values={"SYSBP": "125"}, reason="typo", now=NOW)  # fmt: skip
    with pytest.raises(ReasonRequired):
        save_form(study.db, li, subject_id=subject, form_code="VS", form_id=saved.form_id, expected_version=2,
                  item_values={"SYSBP": "125"}, now=NOW)  # fmt: skip


def test_a_coordinator_cannot_write_forms_of_another_site(study: StudySetup) -> None:
    li = study.user("li", "coordinator", "GZ01")
    wang = study.user("wang", "coordinator", "SH02")
    subject = add_subject(study, wang, site="SH02")
    with pytest.raises(PermissionDenied, match=r"form\.write at site SH02"):
        save_form(study.db, li, subject_id=subject, form_code="VS", item_values={"SYSBP": "120"}, now=NOW)


@pytest.mark.requirement("REG-PRIV-01")
def test_a_birth_date_is_kept_in_the_identity_table_and_the_form_and_the_trail_keep_the_year(
    study: StudySetup,
) -> None:
    li = study.user("li", "coordinator", "GZ01")
    subject = add_subject(study, li)
    saved = save_form(study.db, li, subject_id=subject, form_code="DM", item_values={"BRTHDAT": "1980-02-29",
                      "SEX": "F"}, now=NOW)  # fmt: skip
    with study.db.reading() as session:
        assert session.get_one(FormInstance, saved.form_id).item_values == {"BRTHDAT": "1980", "SEX": "F"}
        assert session.get_one(SubjectIdentity, subject).birth_date == "1980-02-29"
    trail = events(study.db)
    assert not [e for e in trail if "1980-02-29" in str(e["new_value"])]  # never in clear in the chain
    identity = [e for e in trail if e["entity_type"] == "subject_identity"]
    assert identity[0]["new_value"].startswith("hmac-sha256:")
    # A correction of the birth date needs a reason, like any change after first entry.
    with pytest.raises(ReasonRequired):
        save_form(study.db, li, subject_id=subject, form_code="DM", form_id=saved.form_id, expected_version=1,
                  item_values={"BRTHDAT": "1980-03-01"}, now=NOW)  # fmt: skip


def test_a_complete_zung_sas_form_is_scored_from_its_numbered_items(study: StudySetup) -> None:
    # All 20 answers 2: the 15 forward items count 2, the 5 reverse items (5, 9, 13, 17, 19) count 5 - 2 = 3,
    # raw 30 + 15 = 45, index 45 x 1.25 = 56.25 -> 56 by the protocol's integer-part conversion.
    li = study.user("li", "coordinator", "GZ01")
    subject = add_subject(study, li)
    answers = {f"SAS{n:02d}": 2 for n in range(1, 21)}
    saved = save_form(
        study.db, li, subject_id=subject, form_code="SAS", item_values=answers, status="complete", now=NOW
    )
    assert saved.derived is not None
    assert saved.derived["raw"] == 45
    assert saved.derived["index"] == 56


@pytest.mark.requirement("REG-INTEG-08", "CLIN-ZUNG-03")
def test_a_complete_zung_form_with_an_unanswered_item_is_stored_as_not_computable(study: StudySetup) -> None:
    li = study.user("li", "coordinator", "GZ01")
    subject = add_subject(study, li)
    answers: dict[str, object] = {f"SDS{n:02d}": 1 for n in range(1, 21)}
    answers["SDS07"] = None
    saved = save_form(
        study.db, li, subject_id=subject, form_code="SDS", item_values=answers, status="complete", now=NOW
    )
    assert saved.derived is not None
    assert saved.derived["index"] is None
    assert "7" in str(saved.derived)


def test_every_scoring_rule_version_and_instrument_name_fit_their_columns() -> None:
    # PostgreSQL refuses a value longer than a VARCHAR's length where SQLite stores it: check the lengths here.
    from dermtrial.instruments import INSTRUMENTS

    columns = FormInstance.__table__.c
    for entry in INSTRUMENTS.values():
        assert len(entry.metadata.version) <= columns.instrument_version.type.length, entry.name
        assert len(entry.name) <= columns.instrument_code.type.length, entry.name


def test_a_complete_dlqi_with_one_unanswered_item_is_scored_by_the_dlqi_rule(study: StudySetup) -> None:
    # DLQI: one unanswered item scores 0 and the total is still given (flagged); 1+1+0+...+0 = 2 here.
    li = study.user("li", "coordinator", "GZ01")
    subject = add_subject(study, li)
    answers: dict[str, object] = {"q1": 1, "q2": 1, "q7.prevented": "no", "q7.problem": 0}
    answers |= {f"q{n}": 0 for n in (3, 4, 5, 6, 8, 10)}  # q9 left out: unanswered
    saved = save_form(
        study.db, li, subject_id=subject, form_code="DLQI", item_values=answers, status="complete", now=NOW
    )
    assert saved.derived is not None
    assert saved.derived["total"] == 2
    assert "unanswered" in str(saved.derived)
