"""What the conduct pages share: rendering with ``tk`` (message keys built from a value) and errors in the one shape."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import pass_context

from dermtrial.conduct.form_status import FORM_STATUSES
from dermtrial.errors import DermtrialError
from dermtrial.services.sessions import OpenSession
from dermtrial.web.errors import from_error
from dermtrial.web.pages import render
from dermtrial.web.scoring import REGIONS, SIGNS

#: Message keys the conduct templates build from a value (``tk("conduct.result.", c.result)``) → the values.
DYNAMIC_KEYS: dict[str, tuple[str, ...]] = {
    "conduct.result.": ("satisfied", "not_satisfied", "unknown"),
    "conduct.verdict.": ("eligible", "ineligible", "incomplete"),
    "conduct.criterion_type.": ("inclusion", "exclusion"),
    "conduct.form_status.": FORM_STATUSES,
    "conduct.visit_status.": ("planned", "done", "out-of-window", "out_of_window", "not-done", "missed"),
    "conduct.pasi.": (*REGIONS, *SIGNS),
    "conduct.pasi.flag.": ("signs_without_area", "area_without_signs"),
    "conduct.zung.answer.": ("1", "2", "3", "4"),
    "conduct.lab.grade.": ("none", "0", "1", "2", "3", "4", "5"),
}


@pass_context
def tk(context: Any, prefix: str, value: object, **values: object) -> str:
    """``t(prefix + value)``: the text of a key built from a value (every such key is listed in DYNAMIC_KEYS)."""
    translate = context["t"]
    return str(translate(f"{prefix}{value}", **values))


def render_page(
    request: Request, template: str, context: dict[str, Any], *, session: OpenSession, status: int = 200
) -> HTMLResponse:
    """:func:`dermtrial.web.pages.render` with ``tk`` for the conduct templates."""
    return render(request, template, context | {"tk": tk}, session=session, status=status)


def error_of(exc: DermtrialError) -> tuple[dict[str, Any], int]:
    """The one error shape of ``exc`` and its status, for showing on the page."""
    body = from_error(exc)
    return body.to_json()["error"], body.status
