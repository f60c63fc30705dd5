"""Groups as the API and the console show them: role names, space names, member emails."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.authz import RoleKey
from spacegate.groups.models import Group, GroupMember, GroupSpaceRole
from spacegate.roles.service import custom_role_names, role_name
from spacegate.spaces.models import Space
from spacegate.users.models import User


@dataclass(frozen=True)
class GroupSpaceRoleView:
    space_name: str
    space_role: str


@dataclass(frozen=True)
class GroupView:
    group: Group
    account_role: str | None
    space_roles: list[GroupSpaceRoleView]
    members: list[str]
    """Member emails, sorted."""


def group_roles(session: Session, group: Group) -> tuple[RoleKey | None, dict[int, RoleKey]]:
    """The group's account role and its role in each space (space id -> role), as keys."""
    account: RoleKey | None = (
        group.account_role if group.account_role is not None else group.account_custom_role_id
    )
    spaces: dict[int, RoleKey] = {}
    for space_id, builtin, custom in session.execute(
        select(GroupSpaceRole.space_id, GroupSpaceRole.role, GroupSpaceRole.custom_role_id).where(
            GroupSpaceRole.group_id == group.id
        )
    ):
        role: RoleKey | None = builtin if builtin is not None else custom
        assert role is not None, "the schema's check constraint keeps exactly one role set"
        spaces[space_id] = role
    return account, spaces


def views(session: Session, account_id: int, groups: list[Group]) -> list[GroupView]:
    """Groups with their roles and members, in three queries whatever the page size."""
    names = custom_role_names(session, account_id)
    ids = [group.id for group in groups]
    spaces: dict[int, list[GroupSpaceRoleView]] = {group_id: [] for group_id in ids}
    for group_id, space, builtin, custom in session.execute(
        select(
            GroupSpaceRole.group_id, Space.name, GroupSpaceRole.role, GroupSpaceRole.custom_role_id
        )
        .join(Space, Space.id == GroupSpaceRole.space_id)
        .where(GroupSpaceRole.group_id.in_(ids))
        .order_by(Space.name_key)
    ):
        spaces[group_id].append(GroupSpaceRoleView(space, role_name(builtin, custom, names)))
    members: dict[int, list[str]] = {group_id: [] for group_id in ids}
    for group_id, email in session.execute(
        select(GroupMember.group_id, User.email)
        .join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id.in_(ids))
        .order_by(User.email_key)
    ):
        members[group_id].append(email)
    return [
        GroupView(
            group,
            role_name(group.account_role, group.account_custom_role_id, names)
            if group.account_role is not None or group.account_custom_role_id is not None
            else None,
            spaces[group.id],
            members[group.id],
        )
        for group in groups
    ]


def groups_of(session: Session, user: User) -> list[GroupView]:
    """The groups `user` belongs to, by name."""
    groups = list(
        session.scalars(
            select(Group)
            .join(GroupMember, GroupMember.group_id == Group.id)
            .where(GroupMember.user_id == user.id)
            .order_by(Group.name_key)
        )
    )
    return views(session, user.account_id, groups)


def snapshot(view: GroupView) -> dict[str, object]:
    return {
        "name": view.group.name,
        "description": view.group.description,
        "idp_identifier": view.group.idp_identifier,
        "account_role": view.account_role,
        "space_roles": [[s.space_name, s.space_role] for s in view.space_roles],
        "users": list(view.members),
    }


def group_role_holders(session: Session, role_id: int) -> list[str]:
    """Where groups hold a custom role, as sentences a person can act on (an answer to
    `roles.service.ROLE_HOLDERS`: a role a group holds cannot be deleted)."""
    account_holders = session.scalars(
        select(Group.name).where(Group.account_custom_role_id == role_id).order_by(Group.name_key)
    )
    space_holders = session.execute(
        select(Group.name, Space.name)
        .join(GroupSpaceRole, GroupSpaceRole.group_id == Group.id)
        .join(Space, Space.id == GroupSpaceRole.space_id)
        .where(GroupSpaceRole.custom_role_id == role_id)
        .order_by(Space.name_key, Group.name_key)
    )
    return [f"account role of the group '{group}'" for group in account_holders] + [
        f"space role of the group '{group}' in space '{space}'" for group, space in space_holders
    ]


def group_role_scopes(session: Session, role_id: int) -> list[str]:
    """Where groups hold a custom role: "account", and the ids (as text) of spaces (an
    answer to `roles.service.ROLE_SCOPES`)."""
    account = session.scalar(
        select(Group.id).where(Group.account_custom_role_id == role_id).limit(1)
    )
    spaces = session.scalars(
        select(GroupSpaceRole.space_id).where(GroupSpaceRole.custom_role_id == role_id).distinct()
    )
    return (["account"] if account is not None else []) + [str(space_id) for space_id in spaces]
