"""Every role × every permission × own site / other site / no site, against a matrix written out here by hand.

The matrix is the specification; ``roles.yaml`` is the implementation. A change to either without the other fails.
"""

from __future__ import annotations

import pytest

from dermtrial.services import PermissionDenied, access_model, permitted_sites, require
from tests.conftest import StudySetup

# role → permissions it must hold (and no others).
SPEC: dict[str, set[str]] = {
    "administrator": {"study.manage", "site.manage", "user.manage", "audit.read", "audit.verify"},
    "investigator": {
        "subject.read", "subject.enroll", "identity.read", "identity.write", "form.write", "form.void",
        "eligibility.evaluate", "eligibility.sign", "ae.write", "ae.assess-causality", "query.answer", "form.sign",
        "delegation.manage", "reference-range.manage", "export.raw",
    },
    "sub-investigator": {
        "subject.read", "subject.enroll", "identity.read", "identity.write", "form.write", "form.void",
        "eligibility.evaluate", "eligibility.sign", "ae.write", "ae.assess-causality", "query.answer", "form.sign",
    },
    "coordinator": {
        "subject.read", "subject.enroll", "identity.read", "identity.write", "form.write", "form.void",
        "eligibility.evaluate", "ae.write", "query.answer", "reference-range.manage",
    },
    "monitor": {"subject.read", "query.raise", "query.close", "sdv.set", "audit.read"},
    "data-manager": {
        "subject.read", "query.raise", "query.close", "lock.record", "lock.study", "data-cut.create", "audit.read",
        "audit.verify", "export.raw",
    },
    "statistician": {"subject.read", "export.raw"},
    "sponsor-read-only": {"subject.read"},
}  # fmt: skip
SITE_ROLES = {"investigator", "sub-investigator", "coordinator", "monitor"}


def test_the_spec_names_every_role_and_every_permission_exists() -> None:
    model = access_model()
    assert set(SPEC) == set(model.roles)
    assert set().union(*SPEC.values()) <= set(model.permissions)
    assert {code for code, role in model.roles.items() if role.scope == "site"} == SITE_ROLES


@pytest.mark.requirement("REG-ACCESS-01")
def test_every_role_every_permission_at_own_other_and_no_site(study: StudySetup) -> None:
    own, other = study.sites["GZ01"], study.sites["SH02"]
    permissions = sorted(access_model().permissions)
    wrong: list[str] = []
    for role in SPEC:
        site_bound = role in SITE_ROLES
        actor = study.user(f"u-{role}", role, "GZ01" if site_bound else None)
        with study.db.reading() as session:
            for permission in permissions:
                for place, site_id in (("own", own), ("other", other), ("none", None)):
                    expected = permission in SPEC[role] and (not site_bound or place == "own")
                    try:
                        got = require(session, actor, permission, site_id) == role
                    except PermissionDenied:
                        got = False
                    if got != expected:
                        wrong.append(f"{role} {permission} {place}: expected {expected}, got {got}")
            if site_bound:
                assert permitted_sites(session, actor, "subject.read") == {own}
            else:
                assert permitted_sites(session, actor, "subject.read") == (
                    None if "subject.read" in SPEC[role] else set()
                )
    assert wrong == []


@pytest.mark.requirement("REG-ACCESS-01")
def test_a_refusal_names_the_user_the_action_the_site_and_what_they_hold(study: StudySetup) -> None:
    actor = study.user("li", "coordinator", "GZ01")
    with study.db.reading() as session, pytest.raises(PermissionDenied) as caught:
        require(session, actor, "form.write", study.sites["SH02"])
    assert str(caught.value) == (
        'permission: user "li" may not form.write at site SH02; this permission is held only as coordinator at '
        "site GZ01"
    )


@pytest.mark.requirement("REG-ACCESS-01")
def test_a_revoked_grant_allows_nothing(study: StudySetup) -> None:
    from dermtrial.services.accounts import revoke_role
    from tests.conftest import NOW

    actor = study.user("li", "coordinator", "GZ01")
    revoke_role(study.db, study.admin, username="li", role="coordinator", site_code="GZ01", reason="left", now=NOW)
    with study.db.reading() as session, pytest.raises(PermissionDenied, match="none of their roles holds it"):
        require(session, actor, "subject.read", study.sites["GZ01"])
