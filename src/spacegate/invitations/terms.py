"""What an invitation grants, by the names a person reads: its account role and space
roles, with the roles' and spaces' current names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from spacegate.authz import BuiltinRole
from spacegate.invitations.models import Invitation
from spacegate.roles.service import (
    custom_role_names,
    role_name,
)
from spacegate.spaces.service import space_names


@dataclass(frozen=True)
class SpaceGrant:
    space_name: str
    space_role: str


@dataclass(frozen=True)
class Terms:
    """What an invitation grants, by the names shown: its account role, and its space
    roles in the order given."""

    account_role: str
    spaces: list[SpaceGrant]

    def snapshot(self) -> dict[str, Any]:
        """As the audit and the email show it."""
        return {
            "account_role": self.account_role,
            "spaces": [
                {"space_name": grant.space_name, "space_role": grant.space_role}
                for grant in self.spaces
            ],
        }


def terms_of(session: Session, account_id: int, invitations: list[Invitation]) -> dict[int, Terms]:
    """Each invitation's terms by its id, with the roles' and spaces' current names. A
    space deleted since is shown by the name it was invited to; a space role whose custom
    role was deleted is left out (sign-up skips it); an account role that was deleted
    shows as Member (what sign-up makes the invitee)."""
    if not invitations:
        return {}
    role_names = custom_role_names(session, account_id)
    spaces = space_names(
        session,
        account_id,
        (g.space_id for i in invitations for g in i.grants if g.space_id is not None),
    )
    terms: dict[int, Terms] = {}
    for invitation in invitations:
        account_role = role_name(
            invitation.account_role, invitation.account_custom_role_id, role_names
        )
        grants = [
            SpaceGrant(
                spaces.get(grant.space_id or 0, grant.space_name),
                role_name(grant.role, grant.custom_role_id, role_names),
            )
            for grant in invitation.grants
            if grant.role is not None or grant.custom_role_id in role_names
        ]
        terms[invitation.id] = Terms(account_role or BuiltinRole.MEMBER.value, grants)
    return terms
