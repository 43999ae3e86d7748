"""Errors of the use-case layer: each names the field, the value and what is allowed.

The web layer maps them to HTTP at the edge (:func:`http_status`); the CLI prints their problems and exits 2.

Exception tree::

    DermtrialError
    ├── InvalidInput              bad input (dermtrial.errors)      HTTP 422, CLI exit 2
    └── ServiceError
        ├── NotFound              no such study, site, user, record HTTP 404, CLI exit 2
        ├── PermissionDenied      no grant for this action here     HTTP 403, CLI exit 2
        ├── AuthenticationFailed  wrong user name or password       HTTP 401, CLI exit 2
        │   └── AccountLocked     too many failures; locked until … HTTP 423, CLI exit 2
        ├── Conflict              duplicate, or a stale version     HTTP 409, CLI exit 2
        └── ReasonRequired        a change needs a reason           HTTP 422, CLI exit 2
"""

from __future__ import annotations

from typing import Any

from dermtrial.errors import DermtrialError, InvalidInput, Path, Problem

__all__ = [
    "AccountLocked",
    "AuthenticationFailed",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "ReasonRequired",
    "ServiceError",
    "http_status",
    "invalid",
]


class ServiceError(DermtrialError):
    """A use case refused; carries one :class:`Problem` (field path, value, what is allowed)."""

    status = 400

    def __init__(self, message: str, *, path: Path = (), value: Any = None) -> None:
        self.problems = [Problem(path=path, message=message, value=value)]
        super().__init__(self.problems[0].format())


class NotFound(ServiceError):
    """The study, site, user, subject or record named does not exist."""

    status = 404


class PermissionDenied(ServiceError):
    """The user holds no grant allowing this action at this site."""

    status = 403


class AuthenticationFailed(ServiceError):
    """Unknown user name or wrong password (which of the two is not said)."""

    status = 401


class AccountLocked(AuthenticationFailed):
    """Sign-in refused after repeated failures, until the time given."""

    status = 423


class Conflict(ServiceError):
    """A duplicate (user name, site code …) or a save against a stale version; the message shows both values."""

    status = 409


class ReasonRequired(ServiceError):
    """A change after first entry, a void or a revocation was attempted without a reason."""

    status = 422


def http_status(error: DermtrialError) -> int:
    """The HTTP status the web layer answers with for ``error``."""
    if isinstance(error, ServiceError):
        return error.status
    if isinstance(error, InvalidInput):
        return 422
    return 500


def invalid(field: str, value: Any, message: str) -> InvalidInput:
    """One-problem :class:`InvalidInput`: ``field: "value" is not allowed: message``."""
    return InvalidInput([Problem(path=(field,), message=message, value=value)])
