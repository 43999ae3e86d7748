"""The demo study behind ``dermtrial demo``: NCT03392311 at one site, twelve simulated candidates (seed 13: eight
eligible, the registered enrollment), and one demo user for each role of ``roles.yaml``.

The demo study is made from a copy of the protocol whose planned enrollment (``design.enrollment.count``) is raised
from 8 to :data:`DEMO_PLANNED_ENROLLMENT`, the only change (marked ``ESTIMATED``, as the simulator marks its own
raises): the eight simulated subjects fill the registered enrollment and two places stay free for a newcomer to
screen and enroll a subject of their own (docs/demo.md, docs/user-guide.md). :data:`DEMO_NOTE` says so wherever the
demo reports on itself.

A demo database is one this module made: it holds the simulator's administrator and every demo user. The demo users
share :data:`DEMO_PASSWORD`, fixed and published in docs/demo.md on purpose: a demo database is synthetic data to look
around in, never a place for real patients. :func:`inspect_demo` tells a new database (build it), a demo database
(reuse it) and anything else (refuse it) apart, reading only. :func:`build_demo` fills a new one: the simulated study
first, the demo users last, so a run stopped half-way never looks like a finished demo.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select

from dermtrial.protocol.builtin import load_builtin
from dermtrial.services.access import access_model
from dermtrial.services.accounts import add_user, init_database
from dermtrial.services.auth import login, logout
from dermtrial.services.studies import create_study
from dermtrial.simulate.model import SimSubject
from dermtrial.simulate.run import RunResult, run_simulation
from dermtrial.simulate.setup import SIM_ADMIN, SIM_PASSWORD, _variant_file
from dermtrial.store.base import utc_now
from dermtrial.store.engine import Database
from dermtrial.store.migrate import current_revision
from dermtrial.store.models import Site, Study, Subject, User

DEMO_PROTOCOL = "NCT03392311"
DEMO_SEED = 13
"""The seed whose twelve candidates give eight eligible ones: the protocol's registered enrollment."""
DEMO_CANDIDATES = 12
DEMO_PLANNED_ENROLLMENT = 10
"""The demo study's planned enrollment: the protocol's 8 (filled by the simulated subjects) and two places for
practice. Demo only: a real study keeps the registered protocol."""
DEMO_NOTE = (
    "Demo only: the demo study's planned enrollment is {planned}, not the protocol's {registered}, so that you can "
    "screen and enroll a subject of your own ({free} of {planned} places free); the report analyses the subjects "
    "enrolled and infused (the 8 simulated ones until you add yours)."
)
DEMO_PASSWORD = "dermtrial-demo-2019"
"""Every demo user's password (demo only: published in docs/demo.md)."""
SIGN_IN_AS = ("demo.investigator", "demo.data-manager")
"""The users the demo suggests for the web app: the site's investigator (data entry, signatures at the site) and the
data manager (every site, queries, locks and the report page)."""
REPORT_AS = "demo.statistician"
"""The user the demo writes the report as: a study-wide reader."""


@dataclass(frozen=True)
class DemoUser:
    """One demo account: its user name, role (code and name) and site (None for a study-wide role)."""

    username: str
    role: str
    role_name: str
    site: str | None


@dataclass(frozen=True)
class DemoState:
    """What :func:`inspect_demo` found: ``kind`` is ``new``, ``demo`` or ``refused`` (then ``reason`` says why)."""

    kind: str
    reason: str = ""
    screened: int = 0
    enrolled: int = 0
    planned: int = 0


def demo_users(site: str) -> list[DemoUser]:
    """One demo user per role of ``roles.yaml``, in its order; site roles at ``site``."""
    return [
        DemoUser(f"demo.{code}", code, role.name, site if role.scope == "site" else None)
        for code, role in access_model().roles.items()
    ]


def inspect_demo(db: Database) -> DemoState:
    """Read (never write) what the database holds and say whether the demo may build it, reuse it or must refuse.

    Raises the driver's error when the database cannot be opened (the caller names it)."""
    if current_revision(db) is None:
        with db.engine.connect() as connection:
            tables = inspect(connection).get_table_names()
        if tables:
            return DemoState("refused", reason=f"it holds tables that are not dermtrial's ({', '.join(tables[:3])} …)")
        return DemoState("new")
    with db.reading() as session:
        users = set(session.scalars(select(User.username)))
        protocols = list(session.scalars(select(Study.protocol_id)))
        screened = session.scalar(select(func.count()).select_from(Subject)) or 0
        enrolled = (
            session.scalar(select(func.count()).select_from(Subject).where(Subject.subject_number.is_not(None))) or 0
        )
        sites = list(session.scalars(select(Site.code).order_by(Site.id)))
        snapshots = list(session.scalars(select(Study.protocol_snapshot)))
    if not users and not protocols:
        return DemoState("new")
    wanted = {u.username for u in demo_users(sites[0] if sites else "")}
    if SIM_ADMIN in users and wanted <= users and protocols == [DEMO_PROTOCOL]:
        planned = int(snapshots[0]["design"]["enrollment"]["count"])
        return DemoState("demo", screened=screened, enrolled=enrolled, planned=planned)
    if SIM_ADMIN in users:
        reason = (
            "it holds a simulated study but not every demo user: made by dermtrial simulate, or a demo stopped "
            "half-way; the demo does not change it"
        )
    else:
        reason = "it is not a dermtrial demo database (its users were not made by the demo); the demo does not touch it"
    return DemoState("refused", reason=reason)


def build_demo(
    db: Database,
    *,
    on_subject: Callable[[SimSubject], None] = lambda _: None,
    clock: Callable[[], dt.datetime] = utc_now,
) -> RunResult:
    """Fill a new database with the demo study (through the services, as :func:`run_simulation` does), then add the
    demo users; ``on_subject`` is called after each candidate. The study is created first, from the protocol with
    its planned enrollment raised to :data:`DEMO_PLANNED_ENROLLMENT`; the simulator then reuses it."""
    protocol = load_builtin(DEMO_PROTOCOL)
    create_demo_study(db, clock)
    result = run_simulation(
        protocol,
        DEMO_PROTOCOL,
        subjects=DEMO_CANDIDATES,
        sites=1,
        seed=DEMO_SEED,
        db=db,
        csv_path=None,
        on_subject=on_subject,
        clock=clock,
    )
    add_demo_users(db, result.study_id, clock)
    return result


def create_demo_study(db: Database, clock: Callable[[], dt.datetime] = utc_now) -> int:
    """Create the schema, the simulator's administrator and the demo study on a new database: the built-in protocol
    with only its planned enrollment raised to :data:`DEMO_PLANNED_ENROLLMENT` (audited, as every study creation);
    returns the study id."""
    protocol = load_builtin(DEMO_PROTOCOL)
    init_database(db, username=SIM_ADMIN, full_name="Simulation Administrator", password=SIM_PASSWORD, now=clock())
    signed_in = login(db, username=SIM_ADMIN, password=SIM_PASSWORD, now=clock())
    try:
        with tempfile.TemporaryDirectory(prefix="dermtrial-demo-") as folder:
            variant = _variant_file(protocol, DEMO_PLANNED_ENROLLMENT, Path(folder))
            return create_study(db, signed_in.actor, protocol=str(variant), now=clock())
    finally:
        logout(db, token=signed_in.token, now=clock())


def add_demo_users(db: Database, study_id: int | None, clock: Callable[[], dt.datetime] = utc_now) -> list[DemoUser]:
    """Add the demo users missing from the database, as the simulator's administrator (each one audited)."""
    signed_in = login(db, username=SIM_ADMIN, password=SIM_PASSWORD, now=clock())
    with db.reading() as session:
        users = set(session.scalars(select(User.username)))
        site = session.scalars(select(Site.code).where(Site.study_id == study_id).order_by(Site.id)).first()
    accounts = demo_users(site or "")
    for account in accounts:
        if account.username in users:
            continue
        add_user(
            db,
            signed_in.actor,
            username=account.username,
            full_name=f"Demo {account.role_name}",
            password=DEMO_PASSWORD,
            role=account.role,
            site_code=account.site,
            now=clock(),
            study_id=study_id,
        )
    logout(db, token=signed_in.token, now=clock())
    return accounts
