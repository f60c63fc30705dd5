"""Who an identity provider's answer signs in: the account's user with that email,
created just in time (as an Account Member without a password) when the provider
allows it, with their provider-mapped groups replaced by the groups it names."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.authz import BuiltinRole, Level
from spacegate.errors import InvalidInput
from spacegate.grants.context import Actor
from spacegate.groups.sync import sync_memberships
from spacegate.names import clean_email
from spacegate.roles.service import resolve_role
from spacegate.sso.errors import SignInRefused
from spacegate.sso.models import IdentityProvider
from spacegate.users import service as users
from spacegate.users.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """What the identity provider vouches for."""

    email: str
    first_name: str = ""
    last_name: str = ""
    groups: tuple[str, ...] | None = None
    """The groups it names; None when it sent none (memberships are then left alone)."""


def sign_in(
    session: Session,
    provider: IdentityProvider,
    identity: Identity,
    client: str | None,
    refused_domains: Collection[str] = (),
) -> User:
    """The active user `identity` signs in as. Raises SignInRefused with a sentence the
    person can act on: a domain that is not allowed (by the provider's settings, or
    refused by the operator), no such user without just-in-time provisioning, a
    deactivated user."""
    try:
        email = clean_email(identity.email, refused_domains)
    except InvalidInput:
        log.warning("the identity provider sent an email that is not one: %r", identity.email)
        raise SignInRefused("The identity provider did not send a valid email address.") from None
    domain = email.rsplit("@", 1)[1].lower()
    if provider.allowed_domains and domain not in provider.allowed_domains:
        raise SignInRefused(f"Single sign-on to this account is not open to addresses at {domain}.")
    actor = Actor(provider.account_id, email, client, source="sso")
    user = session.scalar(
        select(User).where(User.account_id == provider.account_id, User.email_key == email.lower())
    )
    if user is None:
        if not provider.jit:
            raise SignInRefused(
                "There is no user with your email in this account; ask an Account Admin to add you."
            )
        user = _provision(session, actor, provider.account_id, email, identity)
    elif not user.is_active:
        raise SignInRefused("This user is deactivated; ask an Account Admin.")
    if identity.groups is not None:
        sync_memberships(session, actor, user, identity.groups)
    return user


def _provision(
    session: Session, actor: Actor, account_id: int, email: str, identity: Identity
) -> User:
    member = resolve_role(session, account_id, BuiltinRole.MEMBER.value, Level.ACCOUNT)
    user = users.create_user(
        session,
        None,
        account_id=account_id,
        email=email,
        first_name=identity.first_name.strip()[:100],
        last_name=identity.last_name.strip()[:100],
        password=None,
        role=member,
    )
    audit.record(
        session,
        actor,
        "user.add",
        target_type="user",
        target=email,
        after={"account_role": BuiltinRole.MEMBER.value, "via": "single sign-on"},
    )
    return user
