"""A study with staff and one subject's data, for the review and control tests (queries, SDV, locks, signatures).

Users are made on first use (an argon2 hash each): ``li`` coordinator, ``pi`` investigator, ``sub``
sub-investigator and ``mo`` monitor at GZ01; ``mo2`` monitor at SH02; ``dm1`` and ``dm2`` data managers; ``stat``
statistician. ``subject`` / ``visit`` are a GZ01 subject and its screening visit; ``weight`` enters a WT form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dermtrial.services import Actor
from dermtrial.services.forms import save_form
from dermtrial.services.uow import unit_of_work
from dermtrial.store.models import FormInstance, Subject, Visit
from tests.conftest import NOW, StudySetup

STAFF: dict[str, tuple[str, str | None]] = {
    "li": ("coordinator", "GZ01"),
    "pi": ("investigator", "GZ01"),
    "sub": ("sub-investigator", "GZ01"),
    "mo": ("monitor", "GZ01"),
    "mo2": ("monitor", "SH02"),
    "dm1": ("data-manager", None),
    "dm2": ("data-manager", None),
    "stat": ("statistician", None),
    "co2": ("coordinator", "SH02"),
}


@dataclass
class ReviewSetup:
    """The study, its staff (made on first use) and one GZ01 subject with a screening visit."""

    study: StudySetup
    subject: int = 0
    visit: int = 0
    _actors: dict[str, Actor] = field(default_factory=dict)

    @property
    def db(self) -> Any:
        return self.study.db

    def __getattr__(self, name: str) -> Actor:
        if name.startswith("_") or name not in STAFF:
            raise AttributeError(name)
        if name not in self._actors:
            role, site = STAFF[name]
            self._actors[name] = self.study.user(name, role, site)
        return self._actors[name]

    def staff(self, *names: str) -> None:
        """Make these users now (before counting audit events)."""
        for name in names:
            getattr(self, name)

    def new_subject(self, site: str = "GZ01", number: str = "S001", sex: str = "F") -> tuple[int, int]:
        """A subject at ``site`` with a screening visit (written as the system, audited)."""
        with unit_of_work(self.db, actor=None, now=NOW) as work:
            subject = Subject(
                study_id=self.study.study_id,
                site_id=self.study.sites[site],
                screening_number=number,
                sex=sex,
                birth_year=1980,
            )
            work.add(subject, study_id=self.study.study_id, site_code=site)
            visit = Visit(subject_id=subject.id, visit_code="SCR", visit_local="2026-03-03", visit_tz="Asia/Shanghai")
            work.add(visit, study_id=self.study.study_id, site_code=site, subject_id=subject.id)
            return subject.id, visit.id

    def weight(self, weight: str = "70.5", subject: int | None = None, visit: int | None = None) -> int:
        """Enter a complete WT form (as li, or co2 for an SH02 subject); returns its id."""
        subject = subject or self.subject
        actor = self.li if subject == self.subject else self.co2
        saved = save_form(
            self.db,
            actor,
            subject_id=subject,
            form_code="WT",
            visit_id=visit or self.visit,
            item_values={"WTDAT": "2026-03-03", "WEIGHT": weight},
            status="complete",
            now=NOW,
        )
        return saved.form_id

    def change_weight(self, form_id: int, weight: str, reason: str = "transcription error") -> int:
        """Change the weight of a WT form (as li); returns the new version."""
        with self.db.reading() as session:
            form = session.get_one(FormInstance, form_id)
            subject, version = form.subject_id, form.version
        saved = save_form(
            self.db,
            self.li,
            subject_id=subject,
            form_code="WT",
            form_id=form_id,
            expected_version=version,
            item_values={"WEIGHT": weight},
            status="complete",
            reason=reason,
            now=NOW,
        )
        return saved.version


def make_review(study: StudySetup) -> ReviewSetup:
    """The review set-up on the ``study`` fixture's database."""
    review = ReviewSetup(study)
    review.subject, review.visit = review.new_subject()
    return review
