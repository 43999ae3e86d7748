"""What every request can reach: the settings, the database and the templates, kept on ``app.state``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import Request
from fastapi.templating import Jinja2Templates

from dermtrial.store.engine import Database
from dermtrial.web.settings import Settings


@dataclass
class AppState:
    """The app's shared parts, built once by :func:`dermtrial.web.app.create_app`."""

    settings: Settings
    db: Database
    templates: Jinja2Templates

    @property
    def idle(self) -> dt.timedelta:
        """The idle timeout."""
        return dt.timedelta(minutes=self.settings.idle_minutes)


def app_state(request: Request) -> AppState:
    """The :class:`AppState` of the app serving ``request`` (a mounted API shares the main app's)."""
    state: AppState = request.app.state.dermtrial
    return state
