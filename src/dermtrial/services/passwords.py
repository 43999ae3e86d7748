"""Passwords: argon2id hashes and the password rule.

The rule (stated in every refusal): at least 12 and at most 128 characters, at least two of the kinds letters,
digits and other characters, and not containing the user name.

Hashes use argon2id with RFC 9106's low-memory profile (t=3, m=64 MiB, p=4). The environment variable
``DERMTRIAL_ARGON2_PROFILE=cheapest`` selects argon2-cffi's cheapest profile instead: for test suites only, where
hundreds of accounts are made, never for a study database. Each stored hash carries its own parameters, so hashes
made under either profile verify under both.

:func:`hashing_profile` names the profile for the hashes made inside a block: the simulator makes its accounts under
``cheapest``, since their one password is published (docs/simulate.md) and a costly hash of it would protect nothing
while costing a third of a second at each signature.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from dermtrial.services.errors import invalid

MIN_LENGTH = 12
MAX_LENGTH = 128
RULE = (
    f"a password needs {MIN_LENGTH} to {MAX_LENGTH} characters, at least two of letters, digits and other "
    "characters, and must not contain the user name"
)

PROFILE_ENV = "DERMTRIAL_ARGON2_PROFILE"
PROFILES = {"rfc9106-low-memory": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}
DEFAULT_PROFILE = "rfc9106-low-memory"


_scoped: ContextVar[str | None] = ContextVar("dermtrial_argon2_profile", default=None)


def _hasher() -> PasswordHasher:
    scoped = _scoped.get()
    return _profile_hasher(scoped or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE)


@cache
def _profile_hasher(name: str) -> PasswordHasher:
    if name not in PROFILES:
        raise invalid(PROFILE_ENV, name, f"one of {', '.join(sorted(PROFILES))}")
    return PasswordHasher.from_parameters(PROFILES[name])


@contextmanager
def hashing_profile(name: str) -> Iterator[None]:
    """Hash passwords made inside the block with the profile ``name`` (one of :data:`PROFILES`)."""
    if name not in PROFILES:
        raise invalid("profile", name, f"one of {', '.join(sorted(PROFILES))}")
    token = _scoped.set(name)
    try:
        yield
    finally:
        _scoped.reset(token)


def check_password_rule(password: str, username: str) -> None:
    """Raise :class:`InvalidInput` naming the rule when ``password`` does not follow it (the value is not shown)."""
    kinds = sum(
        (
            any(c.isalpha() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    too_weak = (
        not MIN_LENGTH <= len(password) <= MAX_LENGTH
        or kinds < 2
        or (username and username.lower() in password.lower())
    )
    if too_weak:
        raise invalid("password", "(hidden)", f"the password is too weak: {RULE}")


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) stored for ``password``."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify(password: str) -> None:
    """Spend the time of one verification (for unknown user names, so timing does not reveal them)."""
    verify_password(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not a real password 0")
