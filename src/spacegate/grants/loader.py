"""Reads one account's grants from the database into the plain data the index is built from."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.accounts.models import Account
from spacegate.authz import (
    AccountGrants,
    AccountIndex,
    GroupGrant,
    Level,
    Permission,
    RoleDef,
    RoleKey,
)
from spacegate.groups.models import Group, GroupMember, GroupSpaceRole
from spacegate.roles.models import CustomRole
from spacegate.spaces.models import Space, SpaceMembership
from spacegate.users.models import User, UserStatus


def load_index(session: Session, account_id: int) -> tuple[int, AccountIndex]:
    """The account's grant version and a fresh index built at (or after) that version.

    The version is read first: if a change commits while the rest is read, the index
    may be newer than its version says, never older, and the next poll rebuilds it.
    """
    version = session.scalar(select(Account.authz_version).where(Account.id == account_id))
    if version is None:
        return -1, AccountIndex(AccountGrants())
    custom_roles = [
        RoleDef(
            role.id,
            role.name,
            Level(role.level),
            frozenset(Permission(p) for p in role.permissions),
        )
        for role in session.scalars(select(CustomRole).where(CustomRole.account_id == account_id))
    ]
    account_roles: dict[int, RoleKey] = {
        user_id: _role_key(builtin, custom)
        for user_id, builtin, custom in session.execute(
            select(User.id, User.account_role, User.account_custom_role_id).where(
                User.account_id == account_id, User.status == UserStatus.ACTIVE.value
            )
        )
    }
    memberships = session.execute(
        select(
            SpaceMembership.user_id,
            SpaceMembership.space_id,
            SpaceMembership.role,
            SpaceMembership.custom_role_id,
        )
        .join(Space, Space.id == SpaceMembership.space_id)
        .where(Space.account_id == account_id)
    )
    space_roles = [
        (user, space, _role_key(builtin, custom)) for user, space, builtin, custom in memberships
    ]
    user_ids = dict(
        session.execute(select(User.email_key, User.id).where(User.account_id == account_id)).all()
    )
    space_ids = dict(
        session.execute(
            select(Space.name_key, Space.id).where(Space.account_id == account_id)
        ).all()
    )
    groups = _groups(session, account_id)
    grants = AccountGrants(custom_roles, account_roles, space_roles, user_ids, space_ids, groups)
    return version, AccountIndex(grants)


def _groups(session: Session, account_id: int) -> list[GroupGrant]:
    """The account's groups that grant something, with their members."""
    members: dict[int, set[int]] = {}
    for group_id, user_id in session.execute(
        select(GroupMember.group_id, GroupMember.user_id)
        .join(Group, Group.id == GroupMember.group_id)
        .where(Group.account_id == account_id)
    ):
        members.setdefault(group_id, set()).add(user_id)
    space_roles: dict[int, dict[int, RoleKey]] = {}
    for group_id, space_id, builtin, custom in session.execute(
        select(
            GroupSpaceRole.group_id,
            GroupSpaceRole.space_id,
            GroupSpaceRole.role,
            GroupSpaceRole.custom_role_id,
        )
        .join(Group, Group.id == GroupSpaceRole.group_id)
        .where(Group.account_id == account_id)
    ):
        space_roles.setdefault(group_id, {})[space_id] = _role_key(builtin, custom)
    return [
        GroupGrant(
            name,
            frozenset(members[group_id]),
            builtin if builtin is not None else custom,
            space_roles.get(group_id, {}),
        )
        for group_id, name, builtin, custom in session.execute(
            select(Group.id, Group.name, Group.account_role, Group.account_custom_role_id).where(
                Group.account_id == account_id
            )
        )
        if group_id in members
    ]


def _role_key(builtin: str | None, custom: int | None) -> RoleKey:
    if builtin is not None:
        return builtin
    assert custom is not None, "the schema's check constraint keeps exactly one role set"
    return custom
