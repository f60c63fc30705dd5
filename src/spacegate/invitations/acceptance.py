"""Accepting an invitation: sign-up creates the user with the invited roles; a role or
space deleted meanwhile is skipped, and said."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.accounts.models import Account
from spacegate.audit import service as audit
from spacegate.authz import BuiltinRole, Level
from spacegate.crypto import hash_secret
from spacegate.db import utcnow
from spacegate.errors import Conflict, NotFound
from spacegate.grants.context import Actor
from spacegate.invitations.listing import status_of
from spacegate.invitations.models import Invitation, InvitationState
from spacegate.names import clean_email
from spacegate.roles.service import (
    assigned_role,
    resolve_role,
)
from spacegate.spaces import members as space_members
from spacegate.spaces import service as spaces
from spacegate.users import service as users
from spacegate.users.models import User
from spacegate.users.passwords import Passwords, check_password_policy


def open_invitation(session: Session, secret: str) -> tuple[Invitation, Account]:
    """The pending, unexpired invitation of a secret; NotFound once used, revoked or expired."""
    row = session.execute(
        select(Invitation, Account)
        .join(Account, Account.id == Invitation.account_id)
        .where(Invitation.secret_hash == hash_secret(secret))
    ).first()
    if row is None or status_of(row[0]) != InvitationState.PENDING.value:
        raise NotFound(
            "This invitation link is not valid: it was used, revoked, replaced or has expired."
        )
    invitation, account = row
    return invitation, account


@dataclass(frozen=True)
class Acceptance:
    user: User
    account: Account
    notes: list[str]


def accept(
    session: Session,
    passwords: Passwords,
    *,
    secret: str,
    first_name: str,
    last_name: str,
    password: str,
    refused_domains: Collection[str],
) -> Acceptance:
    """Create the invited user with the invited roles, and close the invitation.
    Raises NotFound (404) for a link used, revoked, replaced or expired, InvalidInput
    (422) for a password the policy refuses or an address whose domain the operator
    has refused since, Conflict (409) when the address became a user meanwhile."""
    invitation, account = open_invitation(session, secret)
    # The operator may have refused the domain since the invitation was sent.
    clean_email(invitation.email, refused_domains)
    check_password_policy(password, email=invitation.email)
    if users.find_user(session, account.id, invitation.email) is not None:
        raise Conflict(f"{invitation.email} is already a user of {account.name}; sign in instead.")
    notes: list[str] = []
    role = assigned_role(session, invitation.account_role, invitation.account_custom_role_id)
    if role is None:
        notes.append("The account role you were invited with was deleted; you are a Member.")
        role = resolve_role(session, account.id, BuiltinRole.MEMBER.value, Level.ACCOUNT)
    user = users.create_user(
        session,
        passwords,
        account_id=account.id,
        email=invitation.email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        role=role,
    )
    granted: list[dict[str, Any]] = []
    for grant in invitation.grants:
        # The space and a custom role are foreign keys: NULL once deleted.
        space = spaces.get_space(session, grant.space_id) if grant.space_id is not None else None
        if space is None:
            notes.append(f"The space '{grant.space_name}' was deleted; its role was skipped.")
            continue
        space_role = assigned_role(session, grant.role, grant.custom_role_id)
        if space_role is None:
            notes.append(
                f"The role you were invited with in space '{space.name}' was deleted; "
                "that space was skipped."
            )
            continue
        space_members.add_membership(session, space, user, space_role)
        granted.append({"space_name": space.name, "space_role": space_role.name})
    invitation.state = InvitationState.ACCEPTED.value
    invitation.accepted_at = utcnow()
    audit.record(
        session,
        Actor(account.id, user.email),
        "invitation.accept",
        target_type="invitation",
        target=user.email,
        after={"account_role": role.name, "spaces": granted, "skipped": notes},
    )
    return Acceptance(user, account, notes)
