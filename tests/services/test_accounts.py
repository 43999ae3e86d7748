"""Accounts: adding users and grants, and every refusal naming what was wrong with nothing written."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dermtrial.services import Conflict, InvalidInput, NotFound, PermissionDenied, ReasonRequired, ServiceError
from dermtrial.services.accounts import add_user, grant_role, init_database, revoke_role
from dermtrial.services.passwords import verify_password
from dermtrial.services.studies import add_site, create_study, update_site
from dermtrial.store.engine import Database
from dermtrial.store.models import RoleGrant, Site, Study, User
from tests.conftest import NOW, PASSWORD, StudySetup
from tests.services.helpers import audit_count, count, events


def test_init_creates_the_first_administrator_once(db: Database) -> None:
    assert init_database(db, username="root", full_name="Ro Ot", password="first-pass-2026", now=NOW) is True
    assert init_database(db, username="other", full_name="Ot Her", password="first-pass-2026", now=NOW) is False
    with db.reading() as session:
        users = [(u.username, u.password_hash) for u in session.query(User)]
    assert [name for name, _ in users] == ["root"]
    assert users[0][1].startswith("$argon2id$")
    assert verify_password(users[0][1], "first-pass-2026")
    assert [e["event_type"] for e in events(db)] == ["config-change", "create", "role-grant"]
    assert "argon2" not in (events(db)[1]["new_value"] or "")
    assert "password_hash" not in (events(db)[1]["new_value"] or "")


def test_a_site_role_is_granted_at_one_site_and_a_study_role_at_every_site(study: StudySetup) -> None:
    add_user(study.db, study.admin, username="li", full_name="Li Na", password=PASSWORD, role="coordinator",
             site_code="GZ01", now=NOW)  # fmt: skip
    add_user(study.db, study.admin, username="dm", full_name="Da Ma", password=PASSWORD, role="data-manager",
             site_code=None, now=NOW)  # fmt: skip
    grant_role(study.db, study.admin, username="li", role="coordinator", site_code="SH02", now=NOW)
    with study.db.reading() as session:
        grants = sorted((g.role_code, g.site_id) for g in session.query(RoleGrant).filter(RoleGrant.user_id > 1))
    assert grants == [
        ("coordinator", study.sites["GZ01"]),
        ("coordinator", study.sites["SH02"]),
        ("data-manager", None),
    ]


def _attempts(study: StudySetup) -> dict[str, tuple[Callable[[], object], type[ServiceError | InvalidInput], str]]:
    db, admin = study.db, study.admin

    def user(username: str = "li", password: str = PASSWORD, role: str = "coordinator", site: str | None = "GZ01"):  # type: ignore[no-untyped-def]
        return lambda: add_user(db, admin, username=username, full_name="Li Na", password=password, role=role,
                                site_code=site, now=NOW)  # fmt: skip

    return {
        "unknown role": (user(role="nurse"), InvalidInput, '"nurse" is not a role: expected one of administrator'),
        "unknown site": (user(site="XX9"), NotFound, 'site: no site "XX9" (sites: GZ01, SH02)'),
        "site role without a site": (user(site=None), InvalidInput, "granted per site: give --site CODE"),
        "duplicate user": (user(username="admin"), Conflict, 'a user "admin" already exists'),
        "weak password": (user(password="short1"), InvalidInput, "the password is too weak: a password needs 12"),
        "password with the user name": (user(password="li-li-li-2026-x"), InvalidInput, "not contain the user name"),
        "bad user name": (user(username="Li Na"), InvalidInput, '"Li Na" is not allowed: 2-64 lower-case'),
        "revoke without a reason": (
            lambda: revoke_role(db, admin, username="admin", role="administrator", site_code=None, reason=" ", now=NOW),
            ReasonRequired, "revoking a role needs a reason",
        ),
        "revoke a grant not held": (
            lambda: revoke_role(db, admin, username="admin", role="monitor", site_code="GZ01", reason="x", now=NOW),
            NotFound, 'user "admin" holds no monitor grant at site GZ01',
        ),
        "duplicate site": (
            lambda: add_site(db, admin, code="GZ01", name="Again", timezone="Asia/Shanghai", now=NOW),
            Conflict, 'a site "GZ01" already exists in NCT03392311',
        ),
        "bad time zone": (
            lambda: add_site(db, admin, code="BJ03", name="Beijing", timezone="China/Beijing", now=NOW),
            InvalidInput, 'timezone: "China/Beijing" is not an IANA time zone',
        ),
        "duplicate study": (
            lambda: create_study(db, admin, protocol="NCT03392311", now=NOW), Conflict, "study of NCT03392311 already",
        ),
        "unknown protocol": (
            lambda: create_study(db, admin, protocol="NCT00000000", now=NOW), InvalidInput, "not a built-in protocol",
        ),
        "change without a reason": (
            lambda: update_site(db, admin, code="GZ01", changes={"name": "GZ"}, expected_version=1, reason="", now=NOW),
            ReasonRequired, "site 1: changing name after first entry needs a reason",
        ),
        "stale version": (
            lambda: update_site(db, admin, code="GZ01", changes={"name": "GZ"}, expected_version=0, reason="", now=NOW),
            Conflict, 'you edited version 0, it is now version 1): name: yours "GZ", stored "Guangzhou"',
        ),
    }  # fmt: skip


CASES = [
    "unknown role", "unknown site", "site role without a site", "duplicate user", "weak password",
    "password with the user name", "bad user name", "revoke without a reason", "revoke a grant not held",
    "duplicate site", "bad time zone", "duplicate study", "unknown protocol", "change without a reason",
    "stale version",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
@pytest.mark.requirement("REG-INTEG-03")
def test_bad_input_is_refused_naming_what_was_wrong_and_nothing_is_written(study: StudySetup, case: str) -> None:
    attempt, error, message = _attempts(study)[case]
    before = (audit_count(study.db), count(study.db, User), count(study.db, RoleGrant), count(study.db, Site),
              count(study.db, Study))  # fmt: skip
    with pytest.raises(error) as caught:
        attempt()
    assert message in str(caught.value)
    after = (audit_count(study.db), count(study.db, User), count(study.db, RoleGrant), count(study.db, Site),
             count(study.db, Study))  # fmt: skip
    assert after == before


@pytest.mark.requirement("REG-ACCESS-01")
def test_a_write_without_permission_is_refused_and_nothing_is_written(study: StudySetup) -> None:
    coordinator = study.user("li", "coordinator", "GZ01")
    before = audit_count(study.db)
    with pytest.raises(PermissionDenied, match=r'user "li" may not user\.manage at site GZ01'):
        add_user(study.db, coordinator, username="mo", full_name="Mo", password=PASSWORD, role="coordinator",
                 site_code="GZ01", now=NOW)  # fmt: skip
    with pytest.raises(PermissionDenied, match=r"may not site\.manage"):
        add_site(study.db, coordinator, code="BJ03", name="Beijing", timezone="Asia/Shanghai", now=NOW)
    assert audit_count(study.db) == before
    assert count(study.db, User) == 2


@pytest.mark.requirement("REG-AUDIT-01")
def test_a_change_with_a_reason_is_audited_field_by_field(study: StudySetup) -> None:
    version = update_site(study.db, study.admin, code="GZ01", changes={"name": "Guangzhou First", "city": "Guangzhou"},
                          expected_version=1, reason="official name", now=NOW)  # fmt: skip
    assert version == 2
    changes = [e for e in events(study.db, entity_type="site") if e["event_type"] == "update"]
    assert [(e["field"], e["old_value"], e["new_value"], e["reason"], e["actor_role"]) for e in changes] == [
        ("name", '"Guangzhou"', '"Guangzhou First"', "official name", "administrator"),
        ("city", None, '"Guangzhou"', "official name", "administrator"),
    ]
    assert changes[0]["request_id"] == changes[1]["request_id"]
