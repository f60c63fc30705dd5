"""An account's identity provider settings (`/api/settings/idp`): validation, secrets
sealed at rest, and who may connect one.

Connecting an identity provider lets it decide group memberships, so it grants every
group's roles: the caller must be able to grant each of them directly (rule 4). While
sign-in through it is enforced, one active Account Admin keeps their password
(break-glass). Raises InvalidInput, Forbidden, NotFound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.accounts.models import Account
from spacegate.audit import service as audit
from spacegate.crypto import SecretBox
from spacegate.errors import InvalidInput, NotFound
from spacegate.grants.context import Access
from spacegate.groups.admins import active_admins
from spacegate.groups.models import Group
from spacegate.groups.service import current_roles, ensure_may_grant_roles
from spacegate.sso.models import IdentityProvider
from spacegate.users.models import User

Protocol = Literal["oidc", "saml"]
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CLAIM = re.compile(r"^[A-Za-z0-9_.:/-]{1,200}$")


@dataclass(frozen=True)
class ProviderSpec:
    """An identity provider as an Account Admin describes it (already fetched: the
    SAML metadata, when given by URL, is in `saml_metadata`)."""

    protocol: Protocol
    issuer: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    email_claim: str = "email"
    groups_claim: str | None = "groups"
    saml_metadata: str | None = None
    saml_metadata_url: str | None = None
    saml_entity_id: str | None = None
    email_attribute: str | None = None
    groups_attribute: str | None = None
    allowed_domains: tuple[str, ...] = ()
    jit: bool = False
    enforced: bool = False
    break_glass_email: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def sso_account(session: Session, account_name: str | None) -> str | None:
    """The account's name when it has an identity provider (the sign-in page then
    offers "Sign in with SSO" for it)."""
    if not account_name:
        return None
    return session.scalar(
        select(Account.name)
        .join(IdentityProvider, IdentityProvider.account_id == Account.id)
        .where(Account.name_key == account_name.strip().lower())
    )


def get_provider(session: Session, account_id: int) -> IdentityProvider | None:
    return session.get(IdentityProvider, account_id)


def require_provider(session: Session, account_id: int) -> IdentityProvider:
    provider = get_provider(session, account_id)
    if provider is None:
        raise NotFound("This account has no identity provider; connect one first.")
    return provider


def clean_domains(domains: list[str]) -> tuple[str, ...]:
    cleaned: list[str] = []
    for domain in domains:
        value = domain.strip().lower().removeprefix("@")
        if not _DOMAIN.match(value):
            raise InvalidInput(
                f"'{domain}' is not a domain name such as example.com.", field="allowed_domains"
            )
        if value not in cleaned:
            cleaned.append(value)
    return tuple(cleaned)


def clean_claim(value: str | None, what: str, field_name: str) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _CLAIM.match(value):
        raise InvalidInput(
            f"The {what} must be 1 to 200 letters, digits or . _ : / -.", field=field_name
        )
    return value


def ensure_may_connect(session: Session, access: Access) -> None:
    """The identity provider will decide group memberships: the caller must be able to
    grant every role that any group holds (rule 4)."""
    for group in session.scalars(select(Group).where(Group.account_id == access.caller.account_id)):
        ensure_may_grant_roles(access, current_roles(session, group))


def _break_glass(session: Session, access: Access, spec: ProviderSpec) -> int | None:
    if not spec.enforced:
        return None
    email = (spec.break_glass_email or access.caller.email).strip().lower()
    user = session.scalar(
        select(User).where(User.account_id == access.caller.account_id, User.email_key == email)
    )
    if user is None or user.id not in active_admins(session, access.caller.account_id).all:
        raise InvalidInput(
            f"'{email}' is not an active Account Admin of this account; the break-glass "
            "user who keeps password sign-in must be one.",
            field="break_glass_email",
        )
    return user.id


def save_provider(
    session: Session, access: Access, box: SecretBox, spec: ProviderSpec
) -> IdentityProvider:
    """Create or replace the account's identity provider. An OIDC client secret may be
    left out to keep the one stored (for the same protocol)."""
    account_id = access.caller.account_id
    ensure_may_connect(session, access)
    provider = get_provider(session, account_id)
    before = public_view(provider) if provider else None
    secret_sealed: str | None = None
    if spec.protocol == "oidc":
        if spec.client_secret:
            secret_sealed = box.seal(spec.client_secret)
        elif provider is not None and provider.protocol == "oidc" and provider.secret_sealed:
            secret_sealed = provider.secret_sealed
        else:
            raise InvalidInput("The client secret is required.", field="client_secret")
    break_glass = _break_glass(session, access, spec)
    if provider is None:
        provider = IdentityProvider(account_id=account_id)
        session.add(provider)
    provider.protocol = spec.protocol
    provider.options = _options(spec)
    provider.secret_sealed = secret_sealed
    provider.saml_metadata = spec.saml_metadata if spec.protocol == "saml" else None
    provider.allowed_domains = list(spec.allowed_domains)
    provider.jit = spec.jit
    provider.enforced = spec.enforced
    provider.break_glass_user_id = break_glass
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "idp.update" if before else "idp.create",
        target_type="idp",
        target=spec.protocol,
        before=before,
        after=public_view(provider),
    )
    return provider


def delete_provider(session: Session, access: Access) -> None:
    provider = require_provider(session, access.caller.account_id)
    audit.record(
        session,
        access.caller.actor,
        "idp.delete",
        target_type="idp",
        target=provider.protocol,
        before=public_view(provider),
    )
    session.delete(provider)


def _options(spec: ProviderSpec) -> dict[str, Any]:
    if spec.protocol == "oidc":
        return {
            "issuer": spec.issuer,
            "client_id": spec.client_id,
            "scopes": list(spec.scopes),
            "email_claim": spec.email_claim,
            "groups_claim": spec.groups_claim,
        }
    return {
        "metadata_url": spec.saml_metadata_url,
        "entity_id": spec.saml_entity_id,
        "email_attribute": spec.email_attribute,
        "groups_attribute": spec.groups_attribute,
    }


def public_view(provider: IdentityProvider) -> dict[str, Any]:
    """What may be shown and logged: never the client secret."""
    return {
        "protocol": provider.protocol,
        **provider.options,
        "allowed_domains": list(provider.allowed_domains),
        "jit": provider.jit,
        "enforced": provider.enforced,
    }


def break_glass_email(session: Session, provider: IdentityProvider) -> str | None:
    if provider.break_glass_user_id is None:
        return None
    user = session.get(User, provider.break_glass_user_id)
    return user.email if user else None
