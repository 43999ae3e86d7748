"""The study a simulation fills: schema, the simulation's administrator, the study, its sites, one investigator and
one coordinator per site, and the sites' laboratory reference ranges, all made through the services.

On an empty database everything is created. On a database made earlier by ``dermtrial simulate`` everything found is
reused (study, sites, users, ranges) and only what is missing is added; a database whose users were not made by the
simulator is refused (its passwords are not the simulator's), and so is a study with too few places left for the new
cohort's eligible candidates.

Enrollment stops at the protocol's planned enrollment (``design.enrollment.count``: 8 for NCT03392311). When a
fresh cohort has more eligible candidates than that, the study is created from a copy of the protocol whose planned
enrollment is raised to that number (the only change; the snapshot hash says so) and the caller is told.

Simulated accounts share :data:`SIM_PASSWORD`, stated in docs/simulate.md: a simulated database is synthetic data
for demos, tests and benchmarks, never a place for real patients.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from dermtrial.protocol.loader import canonical_json
from dermtrial.protocol.model import Protocol
from dermtrial.services import Actor
from dermtrial.services.accounts import add_user, init_database
from dermtrial.services.auth import login
from dermtrial.services.errors import invalid
from dermtrial.services.reference_ranges import add_reference_range
from dermtrial.services.studies import add_site, create_study
from dermtrial.simulate.model import SiteSpec
from dermtrial.simulate.params import Params
from dermtrial.store.engine import Database
from dermtrial.store.migrate import current_revision
from dermtrial.store.models import ReferenceRange, Site, Study, Subject, User

SIM_ADMIN = "sim.admin"
#: A study-wide reader, for ``dermtrial report --db … --as sim.statistician``.
SIM_STATISTICIAN = "sim.statistician"
SIM_PASSWORD = "simulated-data-only-2019"
LABORATORY = "Simulated site laboratory"
RANGES_FROM = dt.date(2000, 1, 1)


@dataclass
class SiteTeam:
    """A site's id and its two simulated users, signed in."""

    code: str
    site_id: int
    investigator: Actor
    coordinator: Actor


@dataclass
class SimStudy:
    """What the driver needs to fill the study."""

    study_id: int
    teams: dict[str, SiteTeam]
    first_sequence: dict[str, int]
    planned_enrollment: int
    notes: list[str] = field(default_factory=list)


def _username(role: str, site: str) -> str:
    return f"sim.{role}.{site.lower()}"


def _signed_in(db: Database, username: str, now: dt.datetime) -> Actor:
    return login(db, username=username, password=SIM_PASSWORD, now=now).actor


def _variant_file(protocol: Protocol, planned: int, folder: Path) -> Path:
    data = json.loads(canonical_json(protocol))
    data["design"]["enrollment"] = {"count": planned, "type": "ESTIMATED"}
    path = folder / f"{protocol.identity.registry_id}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def open_study(
    db: Database,
    protocol: Protocol,
    protocol_arg: str,
    sites: list[SiteSpec],
    eligible: int,
    params: Params,
    clock: Callable[[], dt.datetime],
) -> SimStudy:
    """Create or reuse everything the cohort needs (see the module docstring); refuses before writing when the
    database is not a simulator's or the study has no room."""
    registry_id = protocol.identity.registry_id
    notes: list[str] = []
    existing: tuple[int, int, int] | None = None  # study id, enrolled, planned
    if current_revision(db) is not None:  # every check reads only, before the simulator signs in
        existing = _check_existing(db, registry_id, protocol_arg, eligible)
    init_database(db, username=SIM_ADMIN, full_name="Simulation Administrator", password=SIM_PASSWORD, now=clock())
    admin = _signed_in(db, SIM_ADMIN, clock())
    if existing is not None:
        study_id, enrolled, planned = existing
        notes.append(f"reusing the {registry_id} study ({enrolled} enrolled, {planned} planned)")
    else:
        planned = protocol.design.enrollment.count
        if eligible > planned:
            with tempfile.TemporaryDirectory(prefix="dermtrial-simulate-") as folder:
                study_id = create_study(
                    db, admin, protocol=str(_variant_file(protocol, eligible, Path(folder))), now=clock()
                )
            notes.append(f"planned enrollment raised from {planned} to {eligible} (the cohort's eligible candidates)")
            planned = eligible
        else:
            study_id = create_study(db, admin, protocol=protocol_arg, now=clock())
    with db.reading() as session:
        have_statistician = session.scalar(select(User.id).where(User.username == SIM_STATISTICIAN)) is not None
    if not have_statistician:
        add_user(
            db,
            admin,
            username=SIM_STATISTICIAN,
            full_name="Simulated Statistician",
            password=SIM_PASSWORD,
            role="statistician",
            site_code=None,
            now=clock(),
            study_id=study_id,
        )
    teams: dict[str, SiteTeam] = {}
    first: dict[str, int] = {}
    for spec in sites:
        teams[spec.code] = _site_team(db, admin, study_id, spec, params, clock)
        with db.reading() as session:
            first[spec.code] = 1 + (
                session.scalar(
                    select(func.count()).select_from(Subject).where(Subject.site_id == teams[spec.code].site_id)
                )
                or 0
            )
    return SimStudy(study_id, teams, first, planned, notes)


def _check_existing(db: Database, registry_id: str, protocol_arg: str, eligible: int) -> tuple[int, int, int] | None:
    """Refuse a database the simulator did not make, another protocol's study or too few places; returns the
    existing study (id, enrolled, planned) or None."""
    with db.reading() as session:
        users = set(session.scalars(select(User.username)))
        studies = {s.protocol_id: s.id for s in session.scalars(select(Study))}
    if users and SIM_ADMIN not in users:
        raise invalid(
            "db",
            db.url.render_as_string(hide_password=True),
            f"this database has users but none is {SIM_ADMIN}: simulate fills only a new database or one it made",
        )
    if studies and registry_id not in studies:
        raise invalid(
            "protocol",
            protocol_arg,
            f"this database holds a study of {', '.join(sorted(studies))}; simulate one protocol per database",
        )
    if registry_id not in studies:
        return None
    study_id = studies[registry_id]
    with db.reading() as session:
        snapshot = session.scalars(select(Study.protocol_snapshot).where(Study.id == study_id)).one()
        enrolled = session.scalar(
            select(func.count())
            .select_from(Subject)
            .where(Subject.study_id == study_id, Subject.subject_number.is_not(None))
        )
    planned = int(snapshot["design"]["enrollment"]["count"])
    if (enrolled or 0) + eligible > planned:
        raise invalid(
            "subjects",
            eligible,
            f"the existing {registry_id} study has {planned - (enrolled or 0)} of {planned} places left and "
            f"this cohort has {eligible} eligible candidates: use a new database or fewer --subjects",
        )
    return study_id, enrolled or 0, planned


def _site_team(
    db: Database, admin: Actor, study_id: int, spec: SiteSpec, params: Params, clock: Callable[[], dt.datetime]
) -> SiteTeam:
    with db.reading() as session:
        site_id = session.scalars(select(Site.id).where(Site.study_id == study_id, Site.code == spec.code)).first()
        users = set(session.scalars(select(User.username)))
    if site_id is None:
        site_id = add_site(
            db, admin, code=spec.code, name=spec.name, timezone=spec.timezone, now=clock(), study_id=study_id
        )
    actors: dict[str, Actor] = {}
    for role, title in (("investigator", "Investigator"), ("coordinator", "Coordinator")):
        username = _username("pi" if role == "investigator" else "crc", spec.code)
        if username not in users:
            add_user(
                db,
                admin,
                username=username,
                full_name=f"Simulated {title} {spec.code}",
                password=SIM_PASSWORD,
                role=role,
                site_code=spec.code,
                now=clock(),
                study_id=study_id,
            )
        actors[role] = _signed_in(db, username, clock())
    with db.reading() as session:
        have = set(session.scalars(select(ReferenceRange.test_code).where(ReferenceRange.site_id == site_id)))
    tests = [name for name, spec_ in params.get("labs").items() if isinstance(spec_, dict) and "lln" in spec_]
    for test in tests:
        if test in have:
            continue
        spec_ = params.get(f"labs.{test}")
        add_reference_range(
            db,
            actors["investigator"],
            site_code=spec.code,
            laboratory=LABORATORY,
            test_code=test,
            unit=str(spec_["unit"]),
            lower=Decimal(str(spec_["lln"])),
            upper=Decimal(str(spec_["uln"])),
            effective_from=RANGES_FROM,
            now=clock(),
            study_id=study_id,
        )
    return SiteTeam(spec.code, site_id, actors["investigator"], actors["coordinator"])
