"""A single sign-on in progress, and values that must work once only.

The OIDC state, nonce and PKCE verifier travel in a cookie sealed with the installation
secret (so it can be neither read nor forged), HttpOnly, scoped to `/sso/`, and valid
for `sso_sign_in_minutes`; it also binds the callback to the browser that started the
sign-in. The callback then records the state as used, so a replayed callback fails
even with the cookie. SAML assertion ids are recorded the same way.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from spacegate.crypto import SecretBox
from spacegate.db import utcnow
from spacegate.sso.errors import SignInRefused
from spacegate.sso.models import UsedSignInValue

FLOW_COOKIE = "spacegate_sso"
FLOW_COOKIE_PATH = "/sso/"


@dataclass(frozen=True)
class Flow:
    account: str
    state: str
    nonce: str
    verifier: str
    next: str
    expires: float
    """Unix time after which the flow is refused."""


def start(account: str, next_path: str, lifetime: timedelta) -> Flow:
    return Flow(
        account=account,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        # RFC 7636: 43 to 128 characters; 48 random bytes give 64.
        verifier=secrets.token_urlsafe(48),
        next=next_path,
        expires=(utcnow() + lifetime).timestamp(),
    )


def seal(box: SecretBox, flow: Flow) -> str:
    return box.seal(json.dumps(asdict(flow)))


def open_flow(box: SecretBox, sealed: str | None, *, account: str, state: str | None) -> Flow:
    """The flow of this browser's cookie, if it is for this account and state and has
    not expired; otherwise SignInRefused."""
    if not sealed or not state:
        raise SignInRefused("This sign-in was not started here, or has expired; start again.")
    try:
        flow = Flow(**json.loads(box.open(sealed)))
    except (ValueError, TypeError):
        raise SignInRefused(
            "This sign-in was not started here, or has expired; start again."
        ) from None
    if (
        flow.account.lower() != account.lower()
        or not secrets.compare_digest(flow.state, state)
        or flow.expires < utcnow().timestamp()
    ):
        raise SignInRefused("This sign-in was not started here, or has expired; start again.")
    return flow


def use_once(session: Session, account_id: int, kind: str, value: str, until: datetime) -> None:
    """Record `value` as used; SignInRefused when it already was. Expired records of the
    account are dropped on the way."""
    session.execute(
        delete(UsedSignInValue).where(
            UsedSignInValue.account_id == account_id, UsedSignInValue.expires_at < utcnow()
        )
    )
    digest = hashlib.sha256(f"{kind}\x00{account_id}\x00{value}".encode()).hexdigest()
    try:
        with session.begin_nested():
            session.add(UsedSignInValue(value_hash=digest, account_id=account_id, expires_at=until))
    except IntegrityError:
        raise SignInRefused("This sign-in was already used; start again.") from None
