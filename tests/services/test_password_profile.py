"""The argon2 profile: RFC 9106 low-memory by default, the cheapest profile only when asked for (test suites)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dermtrial.errors import InvalidInput
from dermtrial.services import passwords


def _run(code: str, profile: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != passwords.PROFILE_ENV}
    if profile is not None:
        env[passwords.PROFILE_ENV] = profile
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)


HASH = "from dermtrial.services.passwords import hash_password; print(hash_password('a-long-pass-2026'))"


@pytest.mark.requirement("REG-ACCESS-03")
def test_the_default_profile_is_rfc9106_low_memory() -> None:
    done = _run(HASH, None)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_the_cheapest_profile_is_used_only_when_named() -> None:
    done = _run(HASH, "cheapest")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("$argon2id$")
    assert "m=65536,t=3" not in done.stdout


def test_a_hash_verifies_whatever_profile_is_in_force() -> None:
    strong = _run(HASH, None).stdout.strip()
    check = f"from dermtrial.services.passwords import verify_password as v; print(v({strong!r}, 'a-long-pass-2026'))"
    assert _run(check, "cheapest").stdout.strip() == "True"


def test_an_unknown_profile_is_refused_naming_the_variable_and_the_choices() -> None:
    done = _run(HASH, "fast")
    assert done.returncode != 0
    assert "DERMTRIAL_ARGON2_PROFILE" in done.stderr
    assert "cheapest, rfc9106-low-memory" in done.stderr


def test_a_scoped_profile_applies_inside_its_block_only() -> None:
    code = (
        "from dermtrial.services.passwords import hash_password, hashing_profile\n"
        "with hashing_profile('cheapest'):\n"
        "    print(hash_password('a-long-pass-2026'))\n"
        "print(hash_password('a-long-pass-2026'))"
    )
    done = _run(code, None)
    assert done.returncode == 0, done.stderr
    inside, after = done.stdout.split()
    assert "m=65536,t=3" not in inside
    assert after.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.verify_password(inside, "a-long-pass-2026")


def test_an_unknown_scoped_profile_is_refused_naming_the_choices() -> None:
    with pytest.raises(InvalidInput, match="cheapest, rfc9106-low-memory"), passwords.hashing_profile("x"):
        pass
