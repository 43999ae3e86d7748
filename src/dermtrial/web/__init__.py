"""The web app: server-rendered pages and the JSON API (``/api/v1``) over the services.

Public surface: :func:`create_app` and :class:`Settings` (with :class:`SettingsError`).
"""

from dermtrial.web.app import create_app
from dermtrial.web.settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "create_app"]
