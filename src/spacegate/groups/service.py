"""Groups managed by people (`/api/groups`, Administration > Groups).

A group's roles are granted to its members, so every change is held to what granting
or taking away those roles directly needs (rule 4, through `roles.service`): giving a
group a role, or adding someone to a group that has it, needs the permissions to grant
that role in its scope; editing, emptying or deleting a group needs permissions covering
the roles it holds. No change may leave the account without an active Account Admin
(rule 5, `groups.admins`). Raises NotFound, InvalidInput, Conflict, Forbidden, LastAdmin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.authz import Level, Permission
from spacegate.errors import Conflict, Forbidden, InvalidInput, NotFound
from spacegate.grants.cache import lock_account, mark_changed
from spacegate.grants.context import Access
from spacegate.groups.admins import ensure_an_admin_remains
from spacegate.groups.membership import (
    delete_without_checks,
    remove_member_without_checks,
    replace_members,
)
from spacegate.groups.models import Group, GroupMember, GroupSpaceRole
from spacegate.groups.views import GroupView, group_roles, snapshot, views
from spacegate.names import clean_name
from spacegate.roles.service import (
    RoleRef,
    ensure_may_grant,
    ensure_may_manage_holder,
    list_roles,
    resolve_role,
)
from spacegate.spaces.models import Space
from spacegate.spaces.service import find_space
from spacegate.users.models import User

MAX_IDP_IDENTIFIER = 256
MAX_DESCRIPTION = 500


@dataclass(frozen=True)
class GroupSpec:
    """A group's definition as a person writes it; `users` None leaves members alone."""

    name: str
    description: str = ""
    idp_identifier: str | None = None
    account_role: str | None = None
    space_roles: list[tuple[str, str]] = field(default_factory=list)
    """(space name, space role name)."""
    users: list[str] | None = None


@dataclass(frozen=True)
class ResolvedRoles:
    account: RoleRef | None
    spaces: dict[int, tuple[Space, RoleRef]]


def find_group(session: Session, account_id: int, name: str) -> Group | None:
    return session.scalar(
        select(Group).where(Group.account_id == account_id, Group.name_key == name.strip().lower())
    )


def get_group(session: Session, account_id: int, name: str) -> Group:
    group = find_group(session, account_id, name)
    if group is None:
        raise NotFound(f"There is no group named '{name}'.")
    return group


def list_groups(
    session: Session, account_id: int, *, limit: int, after_id: int | None
) -> list[Group]:
    statement = select(Group).where(Group.account_id == account_id)
    if after_id is not None:
        statement = statement.where(Group.id > after_id)
    return list(session.scalars(statement.order_by(Group.id).limit(limit)))


# -- rule 4 ---------------------------------------------------------------------------------


def ensure_may_grant_roles(access: Access, roles: ResolvedRoles) -> None:
    """What granting each of the roles directly needs, in its own scope."""
    if roles.account is not None:
        ensure_may_grant(access, roles.account, None)
    for space, role in roles.spaces.values():
        if not access.has(Permission.MANAGE_SPACE_USERS, space.id):
            raise Forbidden(
                f"You need the Manage space users & roles permission in space '{space.name}' "
                "to give a group a role there."
            )
        ensure_may_grant(access, role, space.id)


def _ensure_may_manage(session: Session, access: Access, group: Group) -> None:
    """The caller's permissions cover every role the group holds, in its scope."""
    account_role, space_roles = group_roles(session, group)
    who = f"The group '{group.name}'"
    if account_role is not None:
        ensure_may_manage_holder(access, account_role, Level.ACCOUNT, None, who)
    for space_id, role in space_roles.items():
        ensure_may_manage_holder(access, role, Level.SPACE, space_id, who)


# -- reading input --------------------------------------------------------------------------


def _resolve_roles(session: Session, account_id: int, spec: GroupSpec) -> ResolvedRoles:
    account = (
        resolve_role(session, account_id, spec.account_role, Level.ACCOUNT)
        if spec.account_role
        else None
    )
    spaces: dict[int, tuple[Space, RoleRef]] = {}
    for space_name, role_name in spec.space_roles:
        space = find_space(session, account_id, space_name)
        if space is None:
            raise InvalidInput(f"There is no space named '{space_name}'.", field="space_roles")
        if space.id in spaces:
            raise InvalidInput(
                f"Space '{space.name}' is named twice; give a group one role per space.",
                field="space_roles",
            )
        spaces[space.id] = (space, resolve_role(session, account_id, role_name, Level.SPACE))
    return ResolvedRoles(account, spaces)


def _clean_spec(spec: GroupSpec) -> GroupSpec:
    description = spec.description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"The description must be at most {MAX_DESCRIPTION} characters long.",
            field="description",
        )
    identifier = (spec.idp_identifier or "").strip() or None
    if identifier is not None and len(identifier) > MAX_IDP_IDENTIFIER:
        raise InvalidInput(
            f"The identity provider's group id must be at most {MAX_IDP_IDENTIFIER} "
            "characters long.",
            field="idp_identifier",
        )
    return GroupSpec(
        clean_name(spec.name, "group"),
        description,
        identifier,
        spec.account_role.strip() if spec.account_role and spec.account_role.strip() else None,
        spec.space_roles,
        spec.users,
    )


def _users(session: Session, account_id: int, emails: list[str]) -> dict[int, User]:
    found: dict[int, User] = {}
    for email in emails:
        user = session.scalar(
            select(User).where(
                User.account_id == account_id, User.email_key == email.strip().lower()
            )
        )
        if user is None:
            raise InvalidInput(f"There is no user '{email}' in this account.", field="users")
        found[user.id] = user
    return found


def ensure_free_name(
    session: Session, account_id: int, name: str, except_id: int | None = None
) -> None:
    existing = find_group(session, account_id, name)
    if existing is not None and existing.id != except_id:
        raise Conflict(f"A group named '{existing.name}' already exists.", field="name")


def ensure_free_identifier(
    session: Session, account_id: int, identifier: str | None, except_id: int | None = None
) -> None:
    if identifier is None:
        return
    existing = session.scalar(
        select(Group).where(Group.account_id == account_id, Group.idp_identifier == identifier)
    )
    if existing is not None and existing.id != except_id:
        raise Conflict(
            f"The group '{existing.name}' already stands for '{identifier}' in the identity "
            "provider.",
            field="idp_identifier",
        )


# -- writing ----------------------------------------------------------------------------------


def _apply_roles(session: Session, group: Group, roles: ResolvedRoles) -> None:
    group.account_role = roles.account.builtin if roles.account else None
    group.account_custom_role_id = roles.account.custom_id if roles.account else None
    session.execute(delete(GroupSpaceRole).where(GroupSpaceRole.group_id == group.id))
    for space, role in roles.spaces.values():
        session.add(
            GroupSpaceRole(
                group_id=group.id,
                space_id=space.id,
                role=role.builtin,
                custom_role_id=role.custom_id,
            )
        )


def create_group(session: Session, access: Access, spec: GroupSpec) -> GroupView:
    account_id = access.caller.account_id
    spec = _clean_spec(spec)
    lock_account(session, account_id)
    ensure_free_name(session, account_id, spec.name)
    ensure_free_identifier(session, account_id, spec.idp_identifier)
    roles = _resolve_roles(session, account_id, spec)
    ensure_may_grant_roles(access, roles)
    members = _users(session, account_id, spec.users or [])
    group = Group(
        account_id=account_id,
        name=spec.name,
        name_key=spec.name.lower(),
        description=spec.description,
        idp_identifier=spec.idp_identifier,
    )
    session.add(group)
    session.flush()
    mark_changed(session, account_id, "group", group.id)
    _apply_roles(session, group, roles)
    replace_members(session, group, set(members))
    session.flush()
    view = views(session, account_id, [group])[0]
    audit.record(
        session,
        access.caller.actor,
        "group.create",
        target_type="group",
        target=group.name,
        after=snapshot(view),
    )
    return view


def update_group(session: Session, access: Access, current_name: str, spec: GroupSpec) -> GroupView:
    """Replace the group's definition; its members only when `spec.users` is given."""
    account_id = access.caller.account_id
    lock_account(session, account_id)
    group = get_group(session, account_id, current_name)
    mark_changed(session, account_id, "group", group.id)
    _ensure_may_manage(session, access, group)
    spec = _clean_spec(spec)
    ensure_free_name(session, account_id, spec.name, except_id=group.id)
    ensure_free_identifier(session, account_id, spec.idp_identifier, except_id=group.id)
    roles = _resolve_roles(session, account_id, spec)
    ensure_may_grant_roles(access, roles)
    members = _users(session, account_id, spec.users) if spec.users is not None else None
    before = snapshot(views(session, account_id, [group])[0])
    with session.begin_nested():
        group.name, group.name_key = spec.name, spec.name.lower()
        group.description = spec.description
        group.idp_identifier = spec.idp_identifier
        _apply_roles(session, group, roles)
        if members is not None:
            replace_members(session, group, set(members))
        ensure_an_admin_remains(
            session,
            account_id,
            f"The group '{group.name}' holds the last active Account Admin; make another "
            "user an Admin first.",
        )
    view = views(session, account_id, [group])[0]
    audit.record(
        session,
        access.caller.actor,
        "group.update",
        target_type="group",
        target=group.name,
        before=before,
        after=snapshot(view),
    )
    return view


def delete_group(session: Session, access: Access, name: str) -> None:
    account_id = access.caller.account_id
    lock_account(session, account_id)
    group = get_group(session, account_id, name)
    mark_changed(session, account_id, "group", group.id)
    _ensure_may_manage(session, access, group)
    delete_without_checks(session, access.caller.actor, group)


def add_member(session: Session, access: Access, name: str, email: str) -> GroupView:
    """Adding someone grants them the group's roles: rule 4 as for a direct grant."""
    account_id = access.caller.account_id
    lock_account(session, account_id)
    group = get_group(session, account_id, name)
    mark_changed(session, account_id, "group", group.id)
    user = _member_user(session, account_id, email)
    ensure_may_grant_roles(access, current_roles(session, group))
    if session.get(GroupMember, (group.id, user.id)) is not None:
        return views(session, account_id, [group])[0]
    session.add(GroupMember(group_id=group.id, user_id=user.id))
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "group.member_add",
        target_type="user",
        target=user.email,
        after={"group": group.name},
    )
    return views(session, account_id, [group])[0]


def remove_member(session: Session, access: Access, name: str, email: str) -> None:
    """Taking someone out takes the group's roles away: as a demotion, rules 4 and 5."""
    account_id = access.caller.account_id
    lock_account(session, account_id)
    group = get_group(session, account_id, name)
    mark_changed(session, account_id, "group", group.id)
    user = _member_user(session, account_id, email)
    _ensure_may_manage(session, access, group)
    remove_member_without_checks(session, access.caller.actor, group, user)


def _member_user(session: Session, account_id: int, email: str) -> User:
    user = session.scalar(
        select(User).where(User.account_id == account_id, User.email_key == email.strip().lower())
    )
    if user is None:
        raise NotFound(f"There is no user '{email}' in this account.")
    return user


def current_roles(session: Session, group: Group) -> ResolvedRoles:
    account_role, space_roles = group_roles(session, group)
    refs = {role.key: role for role in list_roles(session, group.account_id)}
    spaces = {
        space.id: (space, refs[space_roles[space.id]])
        for space in session.scalars(select(Space).where(Space.id.in_(list(space_roles))))
    }
    return ResolvedRoles(refs[account_role] if account_role is not None else None, spaces)
