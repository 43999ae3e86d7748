"""Use cases for setting up a study: create it from a protocol, add its sites."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from dermtrial.errors import InvalidInput
from dermtrial.protocol.builtin import builtin_ids, resolve
from dermtrial.protocol.loader import canonical_json, content_hash, load_text
from dermtrial.services.access import Actor
from dermtrial.services.errors import Conflict, NotFound, invalid
from dermtrial.services.uow import unit_of_work
from dermtrial.store.engine import Database
from dermtrial.store.models import Site, Study, StudyKey


def create_study(db: Database, actor: Actor, *, protocol: str, now: dt.datetime) -> int:
    """Create the study that follows ``protocol`` (a built-in id or a file); stores a snapshot and its hash."""
    try:
        text, source = resolve(protocol)
    except FileNotFoundError:
        raise invalid(
            "protocol", protocol, f"no such file, and not a built-in protocol (built-in: {', '.join(builtin_ids())})"
        ) from None
    loaded = load_text(text, source)  # raises InvalidInput for an invalid or incomplete protocol
    digest = content_hash(loaded)
    with unit_of_work(db, actor=actor, now=now) as work:
        work.require("study.manage")
        registry_id = loaded.identity.registry_id
        if work.session.scalars(select(Study.id).where(Study.protocol_id == registry_id)).first() is not None:
            raise Conflict(f"a study of {registry_id} already exists", path=("protocol",), value=registry_id)
        study = Study(
            protocol_id=registry_id,
            protocol_version=loaded.version,
            protocol_content_hash=digest,
            protocol_snapshot=json.loads(canonical_json(loaded)),
            title=loaded.identity.brief_title,
        )
        work.session.add(study)
        work.session.flush()
        work.session.add(StudyKey(study_id=study.id, hmac_key=secrets.token_bytes(32), created_at=now))
        work.record(
            "study-create",
            entity_type="study",
            entity_id=str(study.id),
            new={"protocol_id": registry_id, "protocol_version": loaded.version, "protocol_content_hash": digest},
            study_id=study.id,
        )
        return study.id


def check_timezone(value: str) -> None:
    """Refuse a name that is not an IANA time zone."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(
            "timezone", value, f'"{value}" is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin)'
        ) from None


def only_study(db: Database) -> int:
    """The id of the database's single study (InvalidInput when there are none or several)."""
    with db.reading() as session:
        ids = list(session.scalars(select(Study.id)))
    if len(ids) != 1:
        raise invalid(
            "study",
            None,
            "no study yet: run dermtrial study create --protocol ID first"
            if not ids
            else f"{len(ids)} studies in the database; name one",
        )
    return ids[0]


def add_site(
    db: Database,
    actor: Actor,
    *,
    code: str,
    name: str,
    timezone: str,
    now: dt.datetime,
    city: str | None = None,
    country: str | None = None,
    study_id: int | None = None,
) -> int:
    """Add a site to the study; its time zone anchors every clinical date entered there."""
    problems = []
    if not code or not code.replace("-", "").isalnum() or len(code) > 32:
        problems.append(invalid("code", code, f'"{code}" is not allowed: 1-32 letters, digits or "-"').problems[0])
    if not name.strip():
        problems.append(invalid("name", name, "the site name is required").problems[0])
    try:
        check_timezone(timezone)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    study_id = study_id if study_id is not None else only_study(db)
    with unit_of_work(db, actor=actor, now=now) as work:
        work.require("site.manage")
        study = work.session.get(Study, study_id)
        if study is None:
            raise NotFound(f"no study {study_id}", path=("study",), value=study_id)
        if work.session.scalars(select(Site.id).where(Site.study_id == study_id, Site.code == code)).first():
            raise Conflict(f'a site "{code}" already exists in {study.protocol_id}', path=("code",), value=code)
        site = Site(study_id=study_id, code=code, name=name, timezone=timezone, city=city, country=country)
        work.add(site, study_id=study_id, site_code=code)
        return site.id


SITE_FIELDS = frozenset({"name", "city", "country", "timezone", "active"})


def update_site(
    db: Database,
    actor: Actor,
    *,
    code: str,
    changes: dict[str, object],
    expected_version: int,
    reason: str | None,
    now: dt.datetime,
    study_id: int | None = None,
) -> int:
    """Change a site's name, place, time zone or active flag; needs a reason and the version read. Returns the new
    version."""
    unknown = sorted(set(changes) - SITE_FIELDS)
    if unknown:
        raise invalid(
            unknown[0], changes[unknown[0]], f"not a site field that can change: {', '.join(sorted(SITE_FIELDS))}"
        )
    if "timezone" in changes:
        check_timezone(str(changes["timezone"]))
    study_id = study_id if study_id is not None else only_study(db)
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        site = work.session.scalars(select(Site).where(Site.study_id == study_id, Site.code == code)).one_or_none()
        if site is None:
            raise NotFound(f'no site "{code}"', path=("site",), value=code)
        work.require("site.manage", site.id)
        work.change(site, dict(changes), expected_version=expected_version, study_id=study_id, site_code=code)
        work.session.flush()
        return site.version
