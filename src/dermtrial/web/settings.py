"""Settings of the web app, read from the environment, with safe defaults.

=============================  ===========================================================  ======================
variable                       meaning                                                      default
=============================  ===========================================================  ======================
``DERMTRIAL_DATABASE_URL``     the study database (``--db`` wins)                           ``sqlite:///dermtrial.db``
``DERMTRIAL_SECRET_KEY``       signs the CSRF tokens; at least 32 characters, kept secret   none: required
``DERMTRIAL_COOKIE_SECURE``    send cookies over HTTPS only (``true``/``false``)            ``true`` (demo: ``false``)
``DERMTRIAL_ALLOWED_HOSTS``    comma-separated host names the app answers (``*``: any)      ``127.0.0.1,localhost``
``DERMTRIAL_DEMO``             demo mode (``true``/``false``): a random secret if none      ``false``
``DERMTRIAL_IDLE_MINUTES``     a session ends after this many minutes without a request     ``15`` (1–480)
``DERMTRIAL_REPORT_DIR``       the study report folder (``dermtrial report --out``)         none
``DERMTRIAL_LICENSED_TEXT_DIR`` the site's licensed questionnaire wording (web/licensed.py)  none: neutral numbers
=============================  ===========================================================  ======================

Outside demo mode the app refuses to start without a secret key, or with a placeholder or short one; the refusal
names the variable. In demo mode a missing key is replaced by a random one (sessions then end when the process does).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

DATABASE_ENV = "DERMTRIAL_DATABASE_URL"
SECRET_ENV = "DERMTRIAL_SECRET_KEY"
COOKIE_SECURE_ENV = "DERMTRIAL_COOKIE_SECURE"
ALLOWED_HOSTS_ENV = "DERMTRIAL_ALLOWED_HOSTS"
DEMO_ENV = "DERMTRIAL_DEMO"
IDLE_ENV = "DERMTRIAL_IDLE_MINUTES"
REPORT_DIR_ENV = "DERMTRIAL_REPORT_DIR"
LICENSED_TEXT_ENV = "DERMTRIAL_LICENSED_TEXT_DIR"

DEFAULT_DATABASE_URL = "sqlite:///dermtrial.db"
DEFAULT_ALLOWED_HOSTS = ("127.0.0.1", "localhost")
DEFAULT_IDLE_MINUTES = 15
IDLE_RANGE = (1, 480)
MIN_SECRET_LENGTH = 32
#: Values that look like a secret but are not (copied from an example or left as a placeholder).
PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "secret", "dev", "development", "default", "dermtrial"})

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A setting is missing or has a value that is not allowed; the message names the variable and the value."""


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f'{name}="{raw}" is not allowed: expected true or false')


@dataclass(frozen=True)
class Settings:
    """What the web app needs to run; build it with :meth:`from_env` (or directly in tests)."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    cookie_secure: bool = True
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    demo: bool = False
    idle_minutes: int = DEFAULT_IDLE_MINUTES
    report_dir: str | None = None
    """The study report's folder (``dermtrial report --out DIR``); None: the report page says none is configured."""
    licensed_text_dir: str | None = None
    """The site's licensed questionnaire wording (:mod:`dermtrial.web.licensed`); None: neutral question numbers."""

    def __post_init__(self) -> None:
        check_secret(self.secret_key, demo=self.demo)
        low, high = IDLE_RANGE
        if not low <= self.idle_minutes <= high:
            raise SettingsError(f"{IDLE_ENV}={self.idle_minutes} is not allowed: {low}–{high} minutes")
        if not self.allowed_hosts:
            raise SettingsError(f"{ALLOWED_HOSTS_ENV} is empty: name the host names to answer, or * for any")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, database_url: str | None = None) -> Settings:
        """Read the settings from ``env`` (default: the process environment); ``database_url`` overrides it."""
        env = os.environ if env is None else env
        demo = _flag(env, DEMO_ENV, False)
        secret = env.get(SECRET_ENV, "")
        if demo and not secret:
            secret = secrets.token_urlsafe(32)
        raw_idle = env.get(IDLE_ENV, "").strip()
        try:
            idle = int(raw_idle) if raw_idle else DEFAULT_IDLE_MINUTES
        except ValueError:
            raise SettingsError(f'{IDLE_ENV}="{raw_idle}" is not allowed: a whole number of minutes') from None
        hosts_raw = env.get(ALLOWED_HOSTS_ENV, "")
        hosts = tuple(h.strip() for h in hosts_raw.split(",") if h.strip()) or DEFAULT_ALLOWED_HOSTS
        return cls(
            database_url=database_url or env.get(DATABASE_ENV) or DEFAULT_DATABASE_URL,
            secret_key=secret,
            cookie_secure=_flag(env, COOKIE_SECURE_ENV, not demo),
            allowed_hosts=hosts,
            demo=demo,
            idle_minutes=idle,
            report_dir=env.get(REPORT_DIR_ENV, "").strip() or None,
            licensed_text_dir=env.get(LICENSED_TEXT_ENV, "").strip() or None,
        )


def check_secret(secret: str, *, demo: bool) -> None:
    """Refuse a missing, placeholder or short secret key (any key is accepted in demo mode, but not an empty one)."""
    if demo and secret:
        return
    if not secret:
        raise SettingsError(
            f"{SECRET_ENV} is not set: give a random secret of at least {MIN_SECRET_LENGTH} characters "
            f"(python -c 'import secrets; print(secrets.token_urlsafe(32))'), or set {DEMO_ENV}=true for a demo"
        )
    if secret.strip().lower() in PLACEHOLDER_SECRETS:
        raise SettingsError(f'{SECRET_ENV}="{secret}" is a placeholder, not a secret: give a random one')
    if len(secret) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"{SECRET_ENV} has {len(secret)} characters; at least {MIN_SECRET_LENGTH} are needed (a random value)"
        )
