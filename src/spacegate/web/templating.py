"""Rendering console pages: the shared context every template gets, flash messages,
and the CSRF cookie."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from spacegate.authz import CATALOG
from spacegate.web import csrf
from spacegate.web.navigation import ADMIN_KEYS
from spacegate.web.paths import TEMPLATES_DIR

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals["catalog"] = CATALOG
templates.env.globals["admin_keys"] = ADMIN_KEYS

# The CSRF token of the page being rendered, for the `csrf()` macro of macros.html: a
# macro imported with `{% from "macros.html" import csrf %}` does not see the page's
# context (Jinja imports without context), only the environment's globals.
_CSRF_TOKEN: ContextVar[str] = ContextVar("csrf_token", default="")
templates.env.globals["current_csrf_token"] = _CSRF_TOKEN.get

FLASH_COOKIE = "spacegate_flash"

# The seed's names of the built-in account roles, as people read them; the API (and the
# forms' values) keep Torque's `Admin` and `Member`.
ACCOUNT_ROLE_LABELS = {"Admin": "Account Admin", "Member": "Account Member"}


def role_label(name: str | None) -> str:
    """A role's name as a person reads it: `Account Admin` for the API's `Admin`."""
    return ACCOUNT_ROLE_LABELS.get(name or "", name or "")


templates.env.filters["role_label"] = role_label


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    flash_kind, flash = _read_flash(request.cookies.get(FLASH_COOKIE) or "")
    values: dict[str, Any] = {
        "csrf_token": csrf.token_for(request),
        "flash": flash,
        "flash_kind": flash_kind,
        "errors": {},
        "values": {},
        **(context or {}),
    }
    rendering = _CSRF_TOKEN.set(values["csrf_token"])
    try:  # the response renders the template here, synchronously
        response = templates.TemplateResponse(request, template, values, status_code=status_code)
    finally:
        _CSRF_TOKEN.reset(rendering)
    csrf.set_cookie(request, response)
    if values["flash"]:
        response.delete_cookie(FLASH_COOKIE)
    return response


FLASH_KINDS = ("done", "refused")


def _read_flash(cookie: str) -> tuple[str, str]:
    """(kind, message) of the flash cookie: `done` for a change made, `refused` for an
    action the server refused (shown as an alert)."""
    text = unquote(cookie)
    kind, _, message = text.partition(":")
    return (kind, message) if kind in FLASH_KINDS else ("done", text)


def redirect(url: str, *, flash: str | None = None, refused: bool = False) -> RedirectResponse:
    """Post/redirect/get, with an optional one-time message for the next page; a
    `refused` one says why an action was not done."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        # Percent-encoded: a header carries Latin-1 only, and a name in the message may
        # hold any character (a raw one beyond Latin-1 was a 500).
        kind = "refused" if refused else "done"
        response.set_cookie(
            FLASH_COOKIE, quote(f"{kind}:{flash[:600]}"), httponly=True, samesite="lax", max_age=60
        )
    return response


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
