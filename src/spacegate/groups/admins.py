"""Who the account's active Account Admins are, counting those who are Admins through a
group (rule 5 holds through groups): one query shared by every path that could take the
last one away."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.authz import BuiltinRole
from spacegate.errors import LastAdmin
from spacegate.groups.models import Group, GroupMember
from spacegate.users.models import User, UserStatus


@dataclass(frozen=True)
class ActiveAdmins:
    direct: frozenset[int]
    """Active users whose own account role is Admin."""
    via_groups: frozenset[int]
    """Active users in a group whose account role is Admin."""

    @property
    def all(self) -> frozenset[int]:
        return self.direct | self.via_groups


def active_admins(session: Session, account_id: int) -> ActiveAdmins:
    """Read afresh (after the account lock of `mark_changed`, it sees committed changes)."""
    direct = session.scalars(
        select(User.id).where(
            User.account_id == account_id,
            User.status == UserStatus.ACTIVE.value,
            User.account_role == BuiltinRole.ADMIN.value,
        )
    )
    via_groups = session.scalars(
        select(GroupMember.user_id)
        .join(Group, Group.id == GroupMember.group_id)
        .join(User, User.id == GroupMember.user_id)
        .where(
            Group.account_id == account_id,
            Group.account_role == BuiltinRole.ADMIN.value,
            User.status == UserStatus.ACTIVE.value,
        )
    )
    return ActiveAdmins(frozenset(direct), frozenset(via_groups))


def ensure_an_admin_remains(session: Session, account_id: int, refusal: str) -> None:
    """LastAdmin (409) with `refusal` when, after the changes flushed so far, the account
    has no active Account Admin left. Callers take the account lock (`mark_changed`)
    before changing anything and run the change in a savepoint, so that a refusal undoes
    it even where the caller goes on with the transaction."""
    session.flush()
    if not active_admins(session, account_id).all:
        raise LastAdmin(refusal)
