"""Raw CSV export: codes and labels per form, a site's copy holding only its data, no identifying data, a manifest
that sha256sum checks, permission and site scope checked first, the export itself audited."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest

from dermtrial.services import PermissionDenied, unit_of_work
from dermtrial.services.export import MANIFEST, export_csv, verify_manifest
from dermtrial.services.export_tables import audit_cells
from dermtrial.services.forms import save_form
from dermtrial.store.audit import EXPORT_FIELDS
from dermtrial.store.models import Signature, SubjectIdentity
from tests.conftest import NOW, StudySetup
from tests.services.helpers import audit_count, events
from tests.services.test_forms import PASI, add_subject

DM = {"BRTHDAT": "1980-02-29", "SEX": "F", "HEIGHT": "162.5"}
LB = {"results": [{"LBTESTCD": "ALT", "LBORRES": "42.1", "LBORRESU": "U/L"}, {"LBTESTCD": "CA", "LBORRES": "2.3"}]}


def fill(study: StudySetup) -> dict[str, int]:
    """A subject at each site with forms, identifying data and a signature."""
    ids: dict[str, int] = {}
    for site, number in (("GZ01", "S-001"), ("SH02", "S-002")):
        coordinator = study.user(f"c-{site.lower()}", "coordinator", site)
        subject = ids[site] = add_subject(study, coordinator, site=site, number=number)
        with unit_of_work(study.db, actor=coordinator, now=NOW) as work:
            work.require("identity.write", study.sites[site])
            work.add(SubjectIdentity(subject_id=subject, family_name=f"Zhang{site}", birth_date="1980-02-29",
                                     phone="+86 20 5555 0100", updated_at=NOW),
                     study_id=study.study_id, subject_id=subject)  # fmt: skip
        dm = save_form(study.db, coordinator, subject_id=subject, form_code="DM", item_values=DM, now=NOW)
        save_form(study.db, coordinator, subject_id=subject, form_code="LB", item_values=LB, now=NOW)
        save_form(study.db, coordinator, subject_id=subject, form_code="PASI", item_values=PASI, status="complete",
                  now=NOW)  # fmt: skip
        with unit_of_work(study.db, actor=coordinator, now=NOW) as work:
            work.add(Signature(entity_type="form_instance", entity_id=dm.form_id, entity_version=1,
                               record_sha256="ab" * 32, user_id=coordinator.user_id, signer_name=f"Dr {site}",
                               meaning="reviewed", signed_at=NOW), study_id=study.study_id)  # fmt: skip
    return ids


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.requirement("REG-PRIV-01", "REG-EXPORT-01")
def test_a_whole_study_export_has_codes_labels_no_identifying_data_and_a_checkable_manifest(
    study: StudySetup, tmp_path: Path
) -> None:
    fill(study)
    statistician = study.user("stat", "statistician", None)
    out = tmp_path / "export"
    report = export_csv(study.db, statistician, out, now=NOW)
    dm = read(out / "forms" / "DM.csv")
    assert [(r["site_code"], r["SEX"], r["SEX_label"], r["HEIGHT"]) for r in dm] == [
        ("GZ01", "F", "Female", "162.5"),
        ("SH02", "F", "Female", "162.5"),
    ]
    assert {r["BRTHDAT"] for r in dm} == {"1980"}  # a full birth date is identifying: the year only
    results = read(out / "forms" / "LB.results.csv")
    assert [(r["row"], r["LBTESTCD"], r["LBTESTCD_label"], r["LBORRES"]) for r in results[:2]] == [
        ("1", "ALT", "Alanine aminotransferase", "42.1"),
        ("2", "CA", "Calcium", "2.3"),
    ]
    pasi = read(out / "forms" / "PASI.csv")
    assert pasi[0]["head.erythema"] == "2"
    assert '"pasi":12.0' in pasi[0]["derived"]
    everything = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file())
    assert "Zhang" not in everything
    assert "5555 0100" not in everything  # the phone number (a bare "5555" can occur in any hash)
    assert "55550100" not in everything
    assert "1980-02-29" not in everything  # not in the form files, nor in the audited values of the trail
    trail = read(out / "audit-trail.csv")
    assert len(trail) == report.rows["audit-trail.csv"]
    assert not [r for r in trail if r["redacted"] == "true"]  # save_form kept the full dates out of the chain
    assert len(read(out / "signatures.csv")) == 2
    assert any(r["column"] == "SEX" and r["codes"] == "F=Female;M=Male" for r in read(out / "data-dictionary.csv"))
    assert "form_instance" in (out / "data-dictionary.md").read_text(encoding="utf-8")
    assert verify_manifest(out) == []
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--quiet", "-c", MANIFEST], cwd=out, check=True)
    exported = [e for e in events(study.db) if e["event_type"] == "export"]
    assert len(exported) == 1
    assert report.manifest_sha256 in exported[0]["new_value"]
    assert exported[0]["actor_role"] == "statistician"


@pytest.mark.requirement("REG-EXPORT-01", "REG-ACCESS-01")
def test_an_investigators_site_copy_holds_only_that_sites_data(study: StudySetup, tmp_path: Path) -> None:
    ids = fill(study)
    investigator = study.user("pi", "investigator", "GZ01")
    out = tmp_path / "gz01"
    export_csv(study.db, investigator, out, now=NOW, site_code="GZ01")
    assert {r["site_code"] for r in read(out / "subjects.csv")} == {"GZ01"}
    assert {r["site_code"] for r in read(out / "forms" / "DM.csv")} == {"GZ01"}
    assert [r["signer_name"] for r in read(out / "signatures.csv")] == ["Dr GZ01"]
    trail = read(out / "audit-trail.csv")
    assert trail
    assert all(r["site_code"] == "GZ01" or r["subject_id"] == str(ids["GZ01"]) for r in trail)
    assert verify_manifest(out) == []
    exported = [e for e in events(study.db) if e["event_type"] == "export"]
    assert exported[0]["site_code"] == "GZ01"


@pytest.mark.parametrize(
    ("role", "site", "scope"),
    [
        ("investigator", "GZ01", None),  # a site's investigator may not export the whole study
        ("investigator", "GZ01", "SH02"),  # nor another site's copy
        ("coordinator", "GZ01", "GZ01"),  # a coordinator holds no export permission
        ("monitor", "GZ01", "GZ01"),
    ],
)
def test_an_export_without_permission_writes_no_file_and_no_event(
    study: StudySetup, tmp_path: Path, role: str, site: str, scope: str | None
) -> None:
    actor = study.user("someone", role, site)
    before = audit_count(study.db)
    out = tmp_path / "refused"
    with pytest.raises(PermissionDenied, match=r"export\.raw"):
        export_csv(study.db, actor, out, now=NOW, site_code=scope)
    assert not out.exists()
    assert audit_count(study.db) == before


@pytest.mark.requirement("REG-PRIV-01")
def test_an_audited_full_birth_date_leaves_as_its_year_and_the_event_is_marked_redacted() -> None:
    # Data entered before birth dates were kept apart: the export cuts them in the audited values it writes.
    row = dict.fromkeys(EXPORT_FIELDS) | {"entity_type": "form_instance", "new_value": '{"BRTHDAT":"1980-02-29"}'}
    cells = dict(zip([*EXPORT_FIELDS, "redacted"], audit_cells(row), strict=True))
    assert cells["new_value"] == '{"BRTHDAT":"1980"}'
    assert cells["redacted"] == "true"


@pytest.mark.requirement("REG-EXPORT-01")
def test_a_changed_added_or_missing_file_fails_the_manifest_check(study: StudySetup, tmp_path: Path) -> None:
    fill(study)
    out = tmp_path / "export"
    export_csv(study.db, study.user("stat", "statistician", None), out, now=NOW)
    with (out / "forms" / "DM.csv").open("a", encoding="utf-8") as handle:
        handle.write("forged,row\n")
    (out / "notes.txt").write_text("added later", encoding="utf-8")
    (out / "signatures.csv").unlink()
    assert verify_manifest(out) == [
        "forms/DM.csv: SHA-256 differs from the manifest (the file was changed)",
        "signatures.csv: listed in the manifest but missing",
        "notes.txt: not listed in the manifest (added after the export)",
    ]


def test_an_export_refuses_a_directory_with_files(study: StudySetup, tmp_path: Path) -> None:
    (tmp_path / "old.csv").write_text("x", encoding="utf-8")
    with pytest.raises(Exception, match="empty or new directory"):
        export_csv(study.db, study.user("stat", "statistician", None), tmp_path, now=NOW)
