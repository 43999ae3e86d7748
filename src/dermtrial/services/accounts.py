"""Use cases for accounts: the first administrator, adding users, granting and revoking roles."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from dermtrial.services.access import Actor, access_model, find_site, sync_roles
from dermtrial.services.errors import Conflict, InvalidInput, NotFound, ReasonRequired, invalid
from dermtrial.services.passwords import check_password_rule, hash_password
from dermtrial.services.uow import ServiceUnitOfWork, unit_of_work
from dermtrial.store import migrate
from dermtrial.store.engine import Database
from dermtrial.store.models import RoleGrant, Site, Study, User

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")


def check_username(username: str) -> None:
    """Refuse a user name that is not 2–64 lower-case letters, digits, ``.``, ``_`` or ``-``, starting with a letter."""
    if not USERNAME.match(username):
        raise invalid(
            "username",
            username,
            f'"{username}" is not allowed: 2-64 lower-case letters, digits, ".", "_" or "-", starting with a letter',
        )


def _check_role(role: str) -> None:
    roles = access_model().roles
    if role not in roles:
        raise invalid("role", role, f'"{role}" is not a role: expected one of {", ".join(roles)}')


def _new_user(work: ServiceUnitOfWork, username: str, full_name: str, password: str) -> User:
    check_username(username)
    if not full_name.strip():
        raise invalid("full_name", full_name, "the full name is required (it is shown beside signatures)")
    check_password_rule(password, username)
    if work.session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict(f'a user "{username}" already exists', path=("username",), value=username)
    user = User(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        password_changed_at=work.now,
    )
    work.add(user)
    return user


def _grant(work: ServiceUnitOfWork, user: User, role: str, site: Site | None) -> RoleGrant:
    _check_role(role)
    definition = access_model().roles[role]
    if definition.scope == "site" and site is None:
        raise invalid("site", None, f"the role {role} is granted per site: give --site CODE")
    held = work.session.scalars(
        select(RoleGrant).where(
            RoleGrant.user_id == user.id,
            RoleGrant.role_code == role,
            RoleGrant.revoked_at.is_(None),
            RoleGrant.site_id.is_(None) if site is None else RoleGrant.site_id == site.id,
        )
    ).first()
    where = f"site {site.code}" if site is not None else "every site"
    if held is not None:
        raise Conflict(f'user "{user.username}" already holds {role} at {where}', path=("role",), value=role)
    grant = RoleGrant(
        user_id=user.id,
        role_code=role,
        site_id=site.id if site else None,
        granted_at=work.now,
        granted_by_user_id=work.who.user_id,
    )
    work.session.add(grant)
    work.session.flush()
    work.record(
        "role-grant",
        entity_type="role_grant",
        entity_id=str(grant.id),
        new={"user": user.username, "role": role, "site": site.code if site else None},
        study_id=site.study_id if site else None,
        site_code=site.code if site else None,
    )
    return grant


def init_database(db: Database, *, username: str, full_name: str, password: str, now: dt.datetime) -> bool:
    """Create or upgrade the schema, load the roles and, on an empty database, create the first administrator.

    Returns True when the administrator was created, False when users already existed (nothing else changes then).
    """
    migrate.upgrade(db)
    with unit_of_work(db, actor=None, now=now) as work:
        changes = sync_roles(work.session)
        if changes:
            work.record("config-change", entity_type="role", new=changes)
        if work.session.scalars(select(User.id)).first() is not None:
            return False
        user = _new_user(work, username, full_name, password)
        _grant(work, user, "administrator", None)
    return True


def upgrade_database(db: Database, *, now: dt.datetime) -> tuple[str | None, str | None, list[str]]:
    """Bring the schema to the newest revision and the role tables to ``roles.yaml`` (changes audited).

    Returns (revision before, revision after, one line per role or permission change).
    """
    before, after = migrate.upgrade(db)
    with unit_of_work(db, actor=None, now=now) as work:
        changes = sync_roles(work.session)
        if changes:
            work.record("config-change", entity_type="role", new=changes)
    return before, after, changes


def _study(work: ServiceUnitOfWork, study_id: int | None) -> Study:
    studies = list(work.session.scalars(select(Study).order_by(Study.id)))
    if study_id is None:
        if len(studies) == 1:
            return studies[0]
        raise invalid(
            "study",
            None,
            f"{len(studies)} studies in the database; name one"
            if studies
            else "no study yet: run dermtrial study create --protocol ID first",
        )
    for study in studies:
        if study.id == study_id:
            return study
    raise NotFound(f"no study {study_id}", path=("study",), value=study_id)


def add_user(
    db: Database,
    actor: Actor,
    *,
    username: str,
    full_name: str,
    password: str,
    role: str,
    site_code: str | None,
    now: dt.datetime,
    study_id: int | None = None,
) -> int:
    """Add a user with a first role (at a site for site roles). Returns the new user's id."""
    _check_role(role)
    with unit_of_work(db, actor=actor, now=now) as work:
        site = _site_or_none(work, site_code, study_id)
        work.require("user.manage", site.id if site else None)
        user = _new_user(work, username, full_name, password)
        _grant(work, user, role, site)
        return user.id


def _site_or_none(work: ServiceUnitOfWork, site_code: str | None, study_id: int | None) -> Site | None:
    if site_code is None:
        return None
    return find_site(work.session, _study(work, study_id).id, site_code)


def _user(work: ServiceUnitOfWork, username: str) -> User:
    user = work.session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise NotFound(f'no user "{username}"', path=("username",), value=username)
    return user


def grant_role(
    db: Database,
    actor: Actor,
    *,
    username: str,
    role: str,
    site_code: str | None,
    now: dt.datetime,
    study_id: int | None = None,
) -> None:
    """Give ``username`` the ``role`` at a site (or every site for study-scope roles)."""
    with unit_of_work(db, actor=actor, now=now) as work:
        site = _site_or_none(work, site_code, study_id)
        work.require("user.manage", site.id if site else None)
        _grant(work, _user(work, username), role, site)


def revoke_role(
    db: Database,
    actor: Actor,
    *,
    username: str,
    role: str,
    site_code: str | None,
    reason: str | None,
    now: dt.datetime,
    study_id: int | None = None,
) -> None:
    """End a grant (kept, marked revoked, with the reason)."""
    if not (reason and reason.strip()):
        raise ReasonRequired("revoking a role needs a reason (--reason)", path=("reason",))
    _check_role(role)
    with unit_of_work(db, actor=actor, now=now, reason=reason) as work:
        site = _site_or_none(work, site_code, study_id)
        work.require("user.manage", site.id if site else None)
        user = _user(work, username)
        grant = work.session.scalars(
            select(RoleGrant).where(
                RoleGrant.user_id == user.id,
                RoleGrant.role_code == role,
                RoleGrant.revoked_at.is_(None),
                RoleGrant.site_id.is_(None) if site is None else RoleGrant.site_id == site.id,
            )
        ).first()
        where = f"site {site.code}" if site is not None else "every site"
        if grant is None:
            raise NotFound(f'user "{username}" holds no {role} grant at {where}', path=("role",), value=role)
        grant.revoked_at, grant.revoked_by_user_id, grant.revoke_reason = now, work.who.user_id, reason
        work.record(
            "role-revoke",
            entity_type="role_grant",
            entity_id=str(grant.id),
            old={"user": username, "role": role, "site": site.code if site else None},
            study_id=site.study_id if site else None,
            site_code=site.code if site else None,
        )


__all__ = ["InvalidInput", "add_user", "check_username", "grant_role", "init_database", "revoke_role"]
