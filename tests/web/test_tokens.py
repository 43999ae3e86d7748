"""API tokens from the command line: shown once (exactly {"token": ...} with --json), stored hashed, revocable."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from dermtrial.cli import app
from dermtrial.services.api_tokens import create_api_token, revoke_api_token
from dermtrial.store.models import ApiToken
from tests.conftest import NOW, PASSWORD
from tests.web.conftest import Web


def _cli(web: Web, *args: str, user: str) -> Any:
    url = web.study.db.url.render_as_string(hide_password=False)
    return CliRunner().invoke(app, [*args, "--user", user, "--db", url], env={"DERMTRIAL_PASSWORD": PASSWORD})


def test_token_create_prints_it_once_as_json_and_stores_only_its_hash(web: Web) -> None:
    made = _cli(web, "token", "create", "--json", "--name", "lab import", user="nurse.li")
    assert made.exit_code == 0, made.stderr
    body = json.loads(made.stdout)
    assert list(body) == ["token"]
    token = body["token"]
    assert token.startswith("dt_")
    with web.study.db.reading() as session:
        stored = session.scalars(select(ApiToken.token_sha256).where(ApiToken.name == "lab import")).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    answer = web.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.json()["username"] == "nurse.li"


def test_a_revoked_token_is_refused_and_only_its_owner_or_an_administrator_may_revoke(web: Web) -> None:
    token = json.loads(_cli(web, "token", "create", "--json", "--name", "to revoke", user="mon").stdout)["token"]
    listed = json.loads(_cli(web, "token", "list", "--json", user="mon").stdout)
    token_id = next(row["id"] for row in listed if row["name"] == "to revoke")
    other = _cli(web, "token", "revoke", str(token_id), user="nurse.li")
    assert other.exit_code == 2
    assert f"no API token {token_id} of user nurse.li" in other.stderr
    assert _cli(web, "token", "revoke", str(token_id), user="mon").exit_code == 0
    refused = web.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["message"].endswith(f"the API token {token_id} is revoked or expired")
    assert next(row for row in _cli_list(web, "mon") if row["id"] == token_id)["revoked_at"] is not None
    second = create_api_token(web.study.db, web.people["mon"], name="admin revokes", now=NOW)
    revoke_api_token(web.study.db, web.people["admin"], token_id=second.token_id, now=NOW)  # holds user.manage
    assert web.client.get("/api/v1/me", headers={"Authorization": f"Bearer {second.token}"}).status_code == 401


def _cli_list(web: Web, user: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(_cli(web, "token", "list", "--json", user=user).stdout)
    return rows


def test_token_create_with_a_wrong_password_exits_2_and_makes_nothing(web: Web) -> None:
    url = web.study.db.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        app, ["token", "create", "--user", "stat", "--db", url], env={"DERMTRIAL_PASSWORD": "wrong-password-9"}
    )
    assert result.exit_code == 2
    assert result.stdout == ""
