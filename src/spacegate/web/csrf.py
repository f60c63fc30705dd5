"""CSRF protection for console forms: a double-submit token.

A random token lives in a SameSite=Strict cookie and in a hidden field of every form;
a POST whose field does not match its cookie is refused. Another site can make a
browser send the cookie, but can neither read it nor put it in the form.
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from spacegate.errors import Forbidden

CSRF_COOKIE = "spacegate_csrf"
CSRF_FIELD = "csrf_token"
_STATE_KEY = "csrf_token"


def token_for(request: Request) -> str:
    """The request's CSRF token: its cookie's, or a new one (set by `set_cookie`)."""
    token = getattr(request.state, _STATE_KEY, None) or request.cookies.get(CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(32)
    setattr(request.state, _STATE_KEY, token)
    return str(token)


def served_over_https(request: Request) -> bool:
    """Whether cookies must be `Secure`: the request came over HTTPS, or the installation's
    public URL is HTTPS (behind a proxy that terminates TLS, the app itself sees HTTP)."""
    runtime = getattr(request.app.state, "runtime", None)
    public_url = runtime.settings.public_url if runtime is not None else None
    return request.url.scheme == "https" or bool(public_url and public_url.startswith("https:"))


def set_cookie(request: Request, response: Response) -> None:
    token = getattr(request.state, _STATE_KEY, None)
    if token and request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=served_over_https(request),
        )


async def verify_csrf(request: Request) -> None:
    """Dependency of every console POST: the form's token must match the cookie's."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not cookie or not secrets.compare_digest(sent, cookie):
        raise Forbidden(
            "This form has expired or came from another site. Reload the page and try again."
        )
