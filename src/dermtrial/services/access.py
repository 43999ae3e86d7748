"""The access model: roles as data (``roles.yaml``), grants per site, and the one permission check.

A user may do an action at a site when one of their unrevoked grants has a role holding the permission and the
grant is for that site or for every site (site null). :func:`require` is called by every service function before it
reads or writes; it returns the role that allowed the action, which the audit trail records.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session

from dermtrial.services.errors import NotFound, PermissionDenied
from dermtrial.store.engine import batch_memo
from dermtrial.store.models import Permission, Role, RoleGrant, RolePermission, Site, User


@dataclass(frozen=True)
class RoleDefinition:
    """One role of ``roles.yaml``."""

    code: str
    name: str
    scope: str
    description: str
    permissions: frozenset[str]


@dataclass(frozen=True)
class AccessModel:
    """Every permission (code → description) and every role, as read from ``roles.yaml``."""

    permissions: dict[str, str]
    roles: dict[str, RoleDefinition]


@cache
def access_model() -> AccessModel:
    """The roles and permissions shipped with dermtrial (validated: every role's permission exists)."""
    raw: dict[str, Any] = yaml.safe_load(resources.files("dermtrial.services").joinpath("roles.yaml").read_text())
    permissions = {str(code): str(text) for code, text in raw["permissions"].items()}
    roles: dict[str, RoleDefinition] = {}
    for code, spec in raw["roles"].items():
        unknown = set(spec["permissions"]) - set(permissions)
        if unknown:
            raise ValueError(f"roles.yaml: role {code} names unknown permissions {sorted(unknown)}")
        if spec["scope"] not in {"site", "study"}:
            raise ValueError(f"roles.yaml: role {code} has scope {spec['scope']!r}; expected site or study")
        roles[code] = RoleDefinition(
            code, spec["name"], spec["scope"], spec["description"], frozenset(spec["permissions"])
        )
    return AccessModel(permissions, roles)


def sync_roles(session: Session) -> list[str]:
    """Make the role and permission tables match ``roles.yaml``; returns a line per change (for the audit trail)."""
    model = access_model()
    changes: list[str] = []
    for code, text in model.permissions.items():
        permission = session.get(Permission, code)
        if permission is None:
            session.add(Permission(code=code, description=text))
            changes.append(f"permission {code} added")
        elif permission.description != text:
            permission.description = text
    session.flush()
    for role in model.roles.values():
        row = session.get(Role, role.code)
        if row is None:
            session.add(Role(code=role.code, name=role.name, scope=role.scope, description=role.description))
            changes.append(f"role {role.code} added")
        else:
            row.name, row.scope, row.description = role.name, role.scope, role.description
        session.flush()
        held = set(session.scalars(select(RolePermission.permission_code).where(RolePermission.role_code == role.code)))
        for permission_code in sorted(role.permissions - held):
            session.add(RolePermission(role_code=role.code, permission_code=permission_code))
            changes.append(f"role {role.code} gains {permission_code}")
        for permission_code in sorted(held - role.permissions):
            session.delete(session.get_one(RolePermission, (role.code, permission_code)))
            changes.append(f"role {role.code} loses {permission_code}")
    session.flush()
    return changes


@dataclass(frozen=True)
class Actor:
    """The signed-in user a use case runs for."""

    user_id: int
    username: str
    full_name: str


def _grants(session: Session, actor: Actor, permission: str) -> list[tuple[str, int | None]]:
    rows = session.execute(
        select(RoleGrant.role_code, RoleGrant.site_id)
        .join(RolePermission, RolePermission.role_code == RoleGrant.role_code)
        .where(
            RoleGrant.user_id == actor.user_id,
            RoleGrant.revoked_at.is_(None),
            RolePermission.permission_code == permission,
        )
        .order_by(RoleGrant.id)
    ).all()
    return [(role, site) for role, site in rows]


@cache
def _require_query() -> Select[bool, str, int | None]:
    """The user's ``active`` flag left-joined to their unrevoked grants whose role holds ``:permission``."""
    holders = select(RolePermission.role_code).where(RolePermission.permission_code == bindparam("permission"))
    grant = and_(RoleGrant.user_id == User.id, RoleGrant.revoked_at.is_(None), RoleGrant.role_code.in_(holders))
    return (
        select(User.active, RoleGrant.role_code, RoleGrant.site_id)
        .outerjoin(RoleGrant, grant)
        .where(User.id == bindparam("user_id"))
        .order_by(RoleGrant.id)
    )


def _site_code(session: Session, site_id: int | None) -> str:
    if site_id is None:
        return "every site"
    site = session.get(Site, site_id)
    return f"site {site.code}" if site is not None else f"site #{site_id}"


def require(session: Session, actor: Actor, permission: str, site_id: int | None = None) -> str:
    """The role allowing ``actor`` to do ``permission`` at ``site_id`` (None: not tied to one site, or every site).

    Raises :class:`PermissionDenied` naming the user, the action, the place and what they do hold.
    """
    if permission not in access_model().permissions:
        raise ValueError(f"unknown permission {permission!r} (not in roles.yaml)")
    # One statement: the account's state and its unrevoked grants holding the permission (none: one row of nulls);
    # read once per batch (see store.engine.batch_memo).
    memo, key = batch_memo(session), ("require", actor.user_id, permission)
    rows = memo.get(key) if memo is not None else None
    if rows is None:
        rows = session.execute(_require_query(), {"user_id": actor.user_id, "permission": permission}).all()
        if memo is not None:
            memo[key] = rows
    if not rows or not rows[0].active:
        raise PermissionDenied(
            f'user "{actor.username}" is not an active account', path=("user",), value=actor.username
        )
    grants = [(row.role_code, row.site_id) for row in rows if row.role_code is not None]
    for role, grant_site in grants:
        if grant_site is None or grant_site == site_id:
            return str(role)
    held = ", ".join(f"{role} at {_site_code(session, site)}" for role, site in grants)
    allowed = f"; this permission is held only as {held}" if held else "; none of their roles holds it"
    raise PermissionDenied(
        f'user "{actor.username}" may not {permission} at {_site_code(session, site_id)}{allowed}',
        path=("permission",),
        value=permission,
    )


def permitted_sites(session: Session, actor: Actor, permission: str) -> set[int] | None:
    """The sites where ``actor`` may do ``permission``: None means every site; an empty set means none."""
    sites: set[int] = set()
    for _role, site in _grants(session, actor, permission):
        if site is None:
            return None
        sites.add(site)
    return sites


def find_site(session: Session, study_id: int, code: str) -> Site:
    """The site with ``code`` in the study, or :class:`NotFound` listing the codes there are."""
    site = session.scalars(select(Site).where(Site.study_id == study_id, Site.code == code)).one_or_none()
    if site is None:
        known = ", ".join(session.scalars(select(Site.code).where(Site.study_id == study_id).order_by(Site.code)))
        raise NotFound(f'no site "{code}" (sites: {known or "none yet"})', path=("site",), value=code)
    return site
