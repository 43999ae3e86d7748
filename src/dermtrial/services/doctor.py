"""``dermtrial doctor``: is this installation fit to run the trial? One function per check, each returning a verdict.

The checks without a database look at the interpreter, the installed packages (against ``requirements.lock`` when the
installation is a checkout that has one), the time zone data, the built-in protocols and the PDF renderer. With a
database they also open it, compare its schema revision with the newest one shipped, re-verify the audit trail's hash
chain and resolve every site's time zone. Informational checks (a browser for the browser tests) never fail the run.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from dermtrial import __version__
from dermtrial.protocol.builtin import builtin_ids, validate_builtin
from dermtrial.services.audit import verify_audit_trail
from dermtrial.store.engine import Database
from dermtrial.store.migrate import current_revision, head_revision
from dermtrial.store.models import Site

MINIMUM_PYTHON = (3, 11)
CHROMIUM = Path("/usr/bin/chromium")
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_LOCK_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


@dataclass(frozen=True)
class Check:
    """One verdict: ``ok`` or not, with what was found; ``required`` False for informational checks."""

    name: str
    ok: bool
    detail: str
    required: bool = True

    @property
    def status(self) -> str:
        """``ok``, ``failed`` (a required check that did not pass) or ``absent`` (informational, not there)."""
        if self.ok:
            return "ok"
        return "failed" if self.required else "absent"

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"name": self.name, "status": self.status, "required": self.required, "detail": self.detail}


@dataclass(frozen=True)
class DoctorReport:
    """Every check of one run, in the order they ran."""

    checks: list[Check]
    database: str | None

    @property
    def ok(self) -> bool:
        """True when every required check passed."""
        return all(check.ok for check in self.checks if check.required)

    def as_dict(self) -> dict[str, Any]:
        """JSON form for ``dermtrial doctor --json``."""
        return {"ok": self.ok, "database": self.database, "checks": [check.as_dict() for check in self.checks]}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_python(version: tuple[int, int, int] | None = None) -> Check:
    """The interpreter is at least the minimum dermtrial supports."""
    major, minor, micro = version or (sys.version_info.major, sys.version_info.minor, sys.version_info.micro)
    found = f"Python {major}.{minor}.{micro}"
    if (major, minor) >= MINIMUM_PYTHON:
        return Check("python", True, found)
    needed = ".".join(str(part) for part in MINIMUM_PYTHON)
    return Check("python", False, f"{found}; dermtrial needs Python {needed} or newer")


def check_dermtrial() -> Check:
    """The dermtrial version (always ok: it is what runs)."""
    return Check("dermtrial", True, f"dermtrial {__version__}")


def runtime_dependencies() -> list[str]:
    """Names of the packages dermtrial needs at run time, from its installed metadata."""
    names: list[str] = []
    for requirement in importlib.metadata.requires("dermtrial") or []:
        if "extra ==" in requirement:
            continue
        match = _REQUIREMENT_NAME.match(requirement)
        if match:
            names.append(match.group(1))
    return sorted(names, key=str.lower)


def read_lock(path: Path) -> dict[str, set[str]]:
    """Pinned versions by normalised package name (a package may carry one pin per Python version)."""
    pins: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _LOCK_PIN.match(line)
        if match:
            pins.setdefault(_normalise(match.group(1)), set()).add(match.group(2))
    return pins


def find_lock() -> Path | None:
    """``requirements.lock`` of the checkout this package runs from (None for an installed wheel)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "requirements.lock"
        if candidate.is_file() and (parent / "pyproject.toml").is_file():
            return candidate
    return None


def check_dependencies(lock: Path | None) -> tuple[Check, dict[str, str]]:
    """Every runtime dependency installed and, with a lock file, at a version the lock pins."""
    versions: dict[str, str] = {}
    missing: list[str] = []
    for name in runtime_dependencies():
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    problems = [f"{name} is not installed" for name in missing]
    if lock is not None:
        pins = read_lock(lock)
        for name, version in versions.items():
            pinned = pins.get(_normalise(name))
            if pinned is not None and version not in pinned:
                problems.append(f"{name} {version} is installed, {lock.name} pins {' or '.join(sorted(pinned))}")
    listed = ", ".join(f"{name} {version}" for name, version in versions.items())
    against = f" (matching {lock.name})" if lock is not None else " (no lock file: an installed package)"
    if problems:
        return Check("dependencies", False, "; ".join(problems)), versions
    return Check("dependencies", True, f"{len(versions)} installed{against}: {listed}"), versions


def check_time_zones(zones: list[str]) -> Check:
    """The IANA time zone data is installed and every zone named resolves."""
    try:
        tzdata = importlib.metadata.version("tzdata")
    except importlib.metadata.PackageNotFoundError:
        tzdata = "system data"
    bad: list[str] = []
    for zone in sorted(set(zones)):
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            bad.append(zone)
    if bad:
        return Check("time zones", False, f"not resolvable with {tzdata}: {', '.join(bad)}")
    return Check("time zones", True, f"tzdata {tzdata}; resolved: {', '.join(sorted(set(zones))) or '(none named)'}")


def check_builtin_protocols() -> tuple[Check, list[str]]:
    """Every protocol shipped with dermtrial validates with no problem; returns the sites' time zones too."""
    failures: list[str] = []
    zones: list[str] = []
    ids = builtin_ids()
    for registry_id in ids:
        report = validate_builtin(registry_id)
        problems = report.invalid + report.incomplete
        if problems:
            failures.append(f"{registry_id}: {len(problems)} problem(s), first: {problems[0].format()}")
        if report.protocol is not None:
            zones.extend(site.timezone for site in report.protocol.identity.sites if site.timezone)
    if failures:
        return Check("built-in protocols", False, "; ".join(failures)), zones
    return Check("built-in protocols", True, f"{len(ids)} validate: {', '.join(ids)}"), zones


def check_pdf() -> Check:
    """WeasyPrint renders a one-page PDF in memory (it needs Pango and its fonts from the system)."""
    try:
        import logging

        import weasyprint

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        pdf = weasyprint.HTML(string="<html><body><p>dermtrial doctor</p></body></html>").write_pdf()
    except (ImportError, OSError) as exc:
        return Check("PDF rendering", False, f"WeasyPrint cannot render: {type(exc).__name__}: {exc}")
    if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF-"):
        return Check("PDF rendering", False, "WeasyPrint returned something that is not a PDF")
    return Check("PDF rendering", True, f"WeasyPrint {weasyprint.__version__}: a {len(pdf)}-byte PDF rendered")


def check_chromium(path: Path = CHROMIUM) -> Check:
    """Informational: the browser the browser tests and screenshots use."""
    if path.exists():
        return Check("chromium", True, f"{path} present", required=False)
    return Check("chromium", False, f"{path} not found (only the browser tests need it)", required=False)


def _database_checks(db: Database) -> list[Check]:
    where = db.url.render_as_string(hide_password=True)
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return [Check("database", False, f"{where} cannot be reached: {type(exc).__name__}")]
    checks = [Check("database", True, f"{where} ({db.dialect}) reachable")]
    current, head = current_revision(db), head_revision(db)
    if current != head:
        found = "empty (run dermtrial init)" if current is None else f"at revision {current}"
        checks.append(Check("migrations", False, f"the schema is {found}, this version needs {head}"))
        return checks
    checks.append(Check("migrations", True, f"schema at revision {current} (head)"))
    chain = verify_audit_trail(db, None)
    with db.reading() as session:
        zones = list(session.scalars(select(Site.timezone).distinct()))
    if chain.ok:
        checks.append(Check("audit trail", True, f"{chain.events} events verify, last hash {chain.last_hash[:16]}…"))
    else:
        checks.append(Check("audit trail", False, f"broken at event {chain.first_bad_seq}: {chain.problem}"))
    site_zones = check_time_zones(zones)
    checks.append(Check("site time zones", site_zones.ok, site_zones.detail))
    return checks


def run_doctor(db: Database | None) -> DoctorReport:
    """Run every check; the database ones only when ``db`` is given."""
    checks = [check_python(), check_dermtrial()]
    checks.append(check_dependencies(find_lock())[0])
    protocols, zones = check_builtin_protocols()
    checks.append(check_time_zones(zones))
    checks.append(protocols)
    checks.append(check_pdf())
    checks.append(check_chromium())
    where = None
    if db is not None:
        where = db.url.render_as_string(hide_password=True)
        checks.extend(_database_checks(db))
    return DoctorReport(checks, where)
