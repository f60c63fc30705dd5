"""CSRF protection for console forms: a token bound to the browser and its sign-in.

A random value lives in a SameSite=Strict cookie; every form carries
HMAC(installation secret, that value + the session cookie) in a hidden field. A POST
whose field is not the HMAC of its own cookies is refused. Another site can make a
browser send the cookies, but can neither read them nor compute the field; and a field
read from one sign-in (or a token planted before the victim signed in, in a cookie
that a sibling subdomain set) does not fit another session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from fastapi import Request, Response

from spacegate.access.guard import SESSION_COOKIE
from spacegate.errors import Forbidden

CSRF_COOKIE = "spacegate_csrf"
CSRF_FIELD = "csrf_token"
_STATE_KEY = "csrf_nonce"


@lru_cache(maxsize=8)
def _key(installation_secret: str) -> bytes:
    return hashlib.sha256(b"spacegate:csrf:v1\x00" + installation_secret.encode()).digest()


def signed_token(installation_secret: str, nonce: str, session: str) -> str:
    """The form field for a browser whose CSRF cookie is `nonce` and whose session cookie
    is `session` ("" before signing in)."""
    message = nonce.encode() + b"\x00" + session.encode()
    digest = hmac.new(_key(installation_secret), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _secret(request: Request) -> str:
    runtime = request.app.state.runtime
    secret: str = runtime.settings.resolved_secret_key()
    return secret


def token_for(request: Request) -> str:
    """The request's CSRF token: signed over its cookie's value (or a new one, set by
    `set_cookie`) and its session cookie."""
    nonce = getattr(request.state, _STATE_KEY, None) or request.cookies.get(CSRF_COOKIE)
    if not nonce:
        nonce = secrets.token_urlsafe(32)
    setattr(request.state, _STATE_KEY, nonce)
    return signed_token(_secret(request), str(nonce), request.cookies.get(SESSION_COOKIE) or "")


def served_over_https(request: Request) -> bool:
    """Whether cookies must be `Secure`: the request came over HTTPS, or the installation's
    public URL is HTTPS (behind a proxy that terminates TLS, the app itself sees HTTP)."""
    runtime = getattr(request.app.state, "runtime", None)
    public_url = runtime.settings.public_url if runtime is not None else None
    return request.url.scheme == "https" or bool(public_url and public_url.startswith("https:"))


def set_cookie(request: Request, response: Response) -> None:
    nonce = getattr(request.state, _STATE_KEY, None)
    if nonce and request.cookies.get(CSRF_COOKIE) != nonce:
        response.set_cookie(
            CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="strict",
            secure=served_over_https(request),
        )


async def verify_csrf(request: Request) -> None:
    """Dependency of every console POST: the form's token must be the one its cookies
    sign to."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    nonce = request.cookies.get(CSRF_COOKIE)
    expected = (
        signed_token(_secret(request), nonce, request.cookies.get(SESSION_COOKIE) or "")
        if nonce
        else None
    )
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise Forbidden(
            "This form has expired or came from another site. Reload the page and try again."
        )
