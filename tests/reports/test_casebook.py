"""The subject casebook: every form with values, derived results, signatures and audit history, on both engines;
refused (as not found) for a user of another site; never identifying data; printed as a PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from dermtrial import __version__
from dermtrial.reports.casebook import breakable, clipped, write_casebook_pdf
from dermtrial.services import NotFound
from dermtrial.services.casebook import IDENTITY_TABLE, casebook
from dermtrial.services.forms import save_form
from dermtrial.services.uow import unit_of_work
from dermtrial.store.models import FormInstance
from tests.conftest import NOW, StudySetup
from tests.reports.casebook_setup import CasebookCase, carried_subject
from tests.reports.pages import non_white_fraction, pdf_pages, pdf_text
from tests.services.review_setup import make_review


@pytest.fixture
def carried(study: StudySetup) -> CasebookCase:
    return carried_subject(study)


def _flat(text: str) -> str:
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


@pytest.mark.requirement("REG-CASEBOOK-01")
def test_the_casebook_holds_every_form_with_values_signatures_and_history(carried: CasebookCase) -> None:
    book = casebook(carried.db, carried.case.crc, carried.number)
    assert book.protocol_id == "NCT03392311"
    assert (book.site_code, book.subject_number, book.status) == ("GZ01", carried.number, "enrolled")
    forms = {f.form_id: f for f in book.forms}
    weight = forms[carried.weight_form]
    assert weight.form_code == "WT"
    assert {i.code: i.value for i in weight.items}["WEIGHT"] == "72.3"
    # the first signature was invalidated by the correction, the second one is valid
    assert [(s.meaning, s.valid) for s in weight.signatures] == [("approved", False), ("reviewed", True)]
    assert weight.signatures[0].invalidated_reason == (
        f"signed data changed: item_values of form_instance {weight.form_id}"
    )
    change = [e for e in weight.history if e.field == "item_values.WEIGHT"]
    assert [(e.old, e.new, e.reason, e.username, e.role) for e in change] == [
        ("70.5", "72.3", "scale read wrongly", "nurse.li", "coordinator")
    ]
    assert weight.history[0].event_type == "create"
    assert {e.occurred_at.replace(tzinfo=None) for e in weight.history} == {NOW.replace(tzinfo=None)}
    pasi = forms[carried.pasi_form]
    assert {d.code: d.value for d in pasi.derived}["pasi"] == "12.0"
    assert pasi.instrument == "pasi PASI-1978/dermtrial-1"
    assert any(e.entity.startswith("signature") for e in book.other_history)
    assert book.audit_seq >= max(e.seq for f in book.forms for e in f.history)


def test_the_screening_number_finds_the_same_subject(carried: CasebookCase) -> None:
    by_number = casebook(carried.db, carried.case.pi, carried.number)
    by_screening = casebook(carried.db, carried.case.pi, by_number.screening_number)
    assert by_screening == by_number


def test_a_user_of_another_site_gets_the_same_answer_as_for_an_unknown_subject(
    study: StudySetup, carried: CasebookCase
) -> None:
    other = study.user("co.sh", "coordinator", "SH02")
    with pytest.raises(NotFound) as refused:
        casebook(carried.db, other, carried.number)
    with pytest.raises(NotFound) as unknown:
        casebook(carried.db, other, "GZ01-E99")
    assert str(refused.value).replace(carried.number, "X") == str(unknown.value).replace("GZ01-E99", "X")
    assert str(refused.value) == f'subject: no subject "{carried.number}"'
    # a study-wide reader sees it
    reader = study.user("stat", "statistician", None)
    assert casebook(carried.db, reader, carried.number).subject_number == carried.number


@pytest.mark.requirement("REG-CASEBOOK-01")
def test_the_pdf_shows_the_forms_the_edit_and_the_signatures(tmp_path: Path, carried: CasebookCase) -> None:
    book = casebook(carried.db, carried.case.pi, carried.number)
    out = tmp_path / "out"
    out.mkdir()
    path = write_casebook_pdf(book, out / "casebook.pdf", software_version=__version__)
    assert [p.name for p in out.iterdir()] == ["casebook.pdf"]  # nothing half-written beside it
    pages = pdf_pages(path)
    assert 2 <= len(pages) <= 20
    assert all(non_white_fraction(p) > 0.005 for p in pages)
    text = pdf_text(path)
    flat = _flat(text)
    assert "NCT03392311" in flat
    assert f"subject {carried.number}" in flat
    assert "item_values.WEIGHT 70.5 72.3 scale read wrongly" in flat
    assert "INVALIDATED" in flat
    assert "reviewed" in flat
    assert "valid" in flat
    assert "Body weight" in flat or "WEIGHT" in flat
    for number, page in enumerate(text.split("\f"), start=1):
        assert f"Page {number} of {len(pages)}" in _flat(page)


@pytest.mark.requirement("REG-PRIV-01")
def test_identifying_data_never_enter_the_casebook(tmp_path: Path, carried: CasebookCase) -> None:
    # a full birth date entered on DM is kept apart (subject_identity); the form keeps the year only
    save_form(
        carried.db,
        carried.case.crc,
        subject_id=carried.case.subject_id,
        form_code="DM",
        item_values={"BRTHDAT": "1980-02-29", "SEX": "F", "HEIGHT": "162.5"},
        status="complete",
        now=NOW,
    )
    book = casebook(carried.db, carried.case.pi, carried.number)
    dm = next(f for f in book.forms if f.form_code == "DM")
    assert {i.code: i.value for i in dm.items}["BRTHDAT"] == "1980"
    path = write_casebook_pdf(book, tmp_path / "identity.pdf", software_version=__version__)
    text = pdf_text(path).replace("\u200b", "")
    assert "1980-02-29" not in text
    assert "02-29" not in text
    every = [*book.other_history, *(e for f in book.forms for e in f.history)]
    assert all(not e.entity.startswith(IDENTITY_TABLE) for e in every)
    assert all("hmac-sha256:" not in (e.old or "") + (e.new or "") for e in every)


def test_a_forms_creation_is_printed_whole_and_a_long_other_record_is_cut_naming_the_export(
    tmp_path: Path, carried: CasebookCase
) -> None:
    book = casebook(carried.db, carried.case.pi, carried.number)
    path = write_casebook_pdf(book, tmp_path / "whole.pdf", software_version=__version__)
    flat = _flat(pdf_text(path).replace("\u200b", "").replace("\ufffe", ""))
    # the PASI form's creation lists every item, the last one (alphabetically) included
    assert "item_values.upper_limbs.induration = 1" in flat.replace("- ", "-")
    # the eligibility record (tens of thousands of characters) is cut and the casebook says how to get it whole
    assert f"dermtrial audit export --subject {carried.number} --entity eligibility_evaluation:" in flat


def test_long_tokens_get_break_opportunities_and_short_ones_stay_as_they_are() -> None:
    assert breakable("70.5 → 72.3") == "70.5 → 72.3"
    hashed = breakable("a" * 60)
    assert hashed.replace("\u200b", "") == "a" * 60
    assert hashed.count("\u200b") == 2  # after 24 and 48 characters
    assert breakable("criteria.E1.evidence.comparisons").split("\u200b")[0] == "criteria."


def test_clipped_keeps_600_characters_and_names_the_whole_length() -> None:
    text = "x" * 1000
    cut = clipped(text, "GZ01-E01", "eligibility_evaluation 4")
    assert cut.startswith("x" * 600 + " … [1,000 characters in all")
    assert cut.endswith("dermtrial audit export --subject GZ01-E01 --entity eligibility_evaluation:4]")
    assert clipped(text, "GZ01-E01", "form_instance 2", clip=False) == text
    assert clipped("short", "GZ01-E01", "visit 1") == "short"


@pytest.mark.requirement("REG-CASEBOOK-01", "REG-AUDIT-04")
def test_a_voided_form_stays_in_the_casebook_marked_with_its_reason(tmp_path: Path, carried: CasebookCase) -> None:
    # voided through the store's unit of work (the audited void every use case uses)
    with unit_of_work(carried.db, actor=carried.case.pi, now=NOW) as work:
        form = work.session.get_one(FormInstance, carried.pasi_form)
        reason = "entered for the wrong subject"
        work.void(form, expected_version=form.version, reason=reason, subject_id=form.subject_id)
    book = casebook(carried.db, carried.case.pi, carried.number)
    pasi = next(f for f in book.forms if f.form_id == carried.pasi_form)
    assert (pasi.voided, pasi.void_reason) == (True, "entered for the wrong subject")
    assert [e.event_type for e in pasi.history if e.field == "voided"] == ["void"]
    text = _flat(pdf_text(write_casebook_pdf(book, tmp_path / "void.pdf", software_version=__version__)))
    assert "VOIDED: entered for the wrong subject" in text


def test_a_subject_without_forms_gets_a_casebook_that_says_so(tmp_path: Path, study: StudySetup) -> None:
    review = make_review(study)  # a GZ01 subject "S001" with a screening visit and no form
    book = casebook(review.db, review.li, "S001")
    assert (book.forms, book.subject_number, book.screening_number) == ((), None, "S001")
    assert [e.entity for e in book.other_history] == ["subject 1", "visit 1"]
    text = _flat(pdf_text(write_casebook_pdf(book, tmp_path / "empty.pdf", software_version=__version__)))
    assert "No form recorded for this subject." in text
    assert "— (not enrolled)" in text
