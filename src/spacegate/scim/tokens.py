"""SCIM bearer tokens: created by an Account Admin (INTEGRATE_IDP), shown once, stored
as SHA-256, listed and revoked like API tokens. A token identifies its account: a SCIM
client sees and changes that account's users and groups only."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.crypto import hash_secret, new_secret
from spacegate.db import after_outer_commit, utcnow
from spacegate.errors import InvalidInput, NotFound, Unauthorized
from spacegate.grants.context import Access, Actor
from spacegate.scim.models import ScimToken
from spacegate.sso.config import ensure_may_connect

log = logging.getLogger(__name__)

_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ScimCaller:
    """A SCIM client: the account its token belongs to, and the token's name."""

    account_id: int
    token_id: int
    token_name: str
    client_address: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.account_id, f"scim:{self.token_name}", self.client_address, source="scim")


def create_token(session: Session, access: Access, name: str) -> tuple[ScimToken, str]:
    """A new token and its secret (shown once). The SCIM client will decide group
    memberships, so the caller must be able to grant every group's roles (rule 4)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("The token name must be 1 to 100 characters long.", field="name")
    ensure_may_connect(session, access)
    secret = new_secret()
    token = ScimToken(
        account_id=access.caller.account_id,
        name=name,
        token_hash=hash_secret(secret),
        created_by=access.caller.email,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "scim_token.create",
        target_type="scim_token",
        target=name,
        after={"id": token.id},
    )
    return token, secret


def list_tokens(session: Session, account_id: int) -> list[ScimToken]:
    return list(
        session.scalars(
            select(ScimToken).where(ScimToken.account_id == account_id).order_by(ScimToken.id)
        )
    )


def revoke_token(session: Session, access: Access, token_id: int) -> None:
    token = session.scalar(
        select(ScimToken).where(
            ScimToken.id == token_id, ScimToken.account_id == access.caller.account_id
        )
    )
    if token is None:
        raise NotFound(f"There is no SCIM token with id {token_id}.")
    audit.record(
        session,
        access.caller.actor,
        "scim_token.revoke",
        target_type="scim_token",
        target=token.name,
        before={"id": token.id},
    )
    session.delete(token)


def authenticate(session: Session, secret: str | None, client: str | None) -> ScimCaller:
    """The SCIM client behind a bearer secret, or Unauthorized."""
    if not secret:
        raise Unauthorized("Send a SCIM token: 'Authorization: Bearer <token>'.")
    token = session.scalar(select(ScimToken).where(ScimToken.token_hash == hash_secret(secret)))
    if token is None:
        raise Unauthorized("The SCIM token is not valid.")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        _record_use_at_commit(session, token.id, now)
    return ScimCaller(token.account_id, token.id, token.name, client)


def _record_use_at_commit(session: Session, token_id: int, now: object) -> None:
    """The token's last use, written after the request's commit in a transaction of its
    own (as for API tokens: no lock held through the request)."""
    bind = session.get_bind()

    def write() -> None:
        try:
            with Session(bind) as own, own.begin():
                own.execute(
                    update(ScimToken).where(ScimToken.id == token_id).values(last_used_at=now),
                    execution_options={"synchronize_session": False},
                )
        except SQLAlchemyError:
            log.warning("could not record the use of SCIM token %s", token_id, exc_info=True)

    after_outer_commit(session, write)
