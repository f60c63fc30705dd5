"""Reads grants from the database: one account's whole index, or one changed thing of it
(a user, a space, a role, a group) for a delta.

The whole-account read streams its rows straight from the database driver's cursor:
at 520,000 grants, SQLAlchemy's result rows would cost more than building the index.
The queries stay simple and portable (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
    UserGrants,
)
from spacegate.groups.models import Group, GroupMember, GroupSpaceRole
from spacegate.roles.models import CustomRole
from spacegate.spaces.models import Space, SpaceMembership
from spacegate.users.models import User, UserStatus

_CHUNK = 20_000


def load_index(session: Session, account_id: int) -> tuple[int, AccountIndex]:
    """The account's grant version and a fresh index built at (or after) that version.

    The version is read first: if a change commits while the rest is read, the index
    may be newer than its version says, never older, and applying that change again
    changes nothing.
    """
    version = session.scalar(select(Account.authz_version).where(Account.id == account_id))
    if version is None:
        return -1, AccountIndex(AccountGrants())
    cursor = _RawCursor(session)
    user_ids: dict[str, int] = {}
    emails: dict[int, str] = {}
    account_roles: dict[int, RoleKey] = {}
    active = UserStatus.ACTIVE.value
    for user_id, email, status, builtin, custom in cursor.rows(
        "SELECT id, email, status, account_role, account_custom_role_id FROM users"
        " WHERE account_id = {p}",
        account_id,
    ):
        user_ids[email.lower()] = user_id
        emails[user_id] = email
        if status == active:
            account_roles[user_id] = _role_key(builtin, custom)
    space_ids: dict[str, int] = {}
    space_names: dict[int, str] = {}
    for space_id, name in cursor.rows(
        "SELECT id, name FROM spaces WHERE account_id = {p}", account_id
    ):
        space_ids[name.lower()] = space_id
        space_names[space_id] = name
    grants = AccountGrants(
        groups=_groups(session, account_id),
        custom_roles=custom_roles(session, account_id),
        account_roles=account_roles,
        space_roles=_memberships(cursor, account_id),
        user_ids=user_ids,
        space_ids=space_ids,
        emails=emails,
        space_names=space_names,
    )
    return version, AccountIndex(grants)


def _memberships(cursor: _RawCursor, account_id: int) -> Iterator[tuple[int, int, RoleKey]]:
    """(user, space, role) of every membership in the account, ordered by space (the
    index fills one space's dict at a time)."""
    for space_id, user_id, builtin, custom in cursor.rows(
        "SELECT m.space_id, m.user_id, m.role, m.custom_role_id FROM space_memberships m"
        " JOIN spaces s ON s.id = m.space_id WHERE s.account_id = {p} ORDER BY m.space_id",
        account_id,
    ):
        yield user_id, space_id, _role_key(builtin, custom)


def custom_roles(session: Session, account_id: int) -> list[RoleDef]:
    return [
        role_def(role)
        for role in session.scalars(select(CustomRole).where(CustomRole.account_id == account_id))
    ]


def role_def(role: CustomRole) -> RoleDef:
    return RoleDef(
        role.id, role.name, Level(role.level), frozenset(Permission(p) for p in role.permissions)
    )


# -- one changed thing, for a delta -----------------------------------------------------------


def load_user(session: Session, account_id: int, user_id: int) -> UserGrants | None:
    """The user as the index keeps them (None: not a user of the account any more)."""
    user = session.scalar(select(User).where(User.id == user_id, User.account_id == account_id))
    if user is None:
        return None
    spaces: dict[int, RoleKey] = {
        space_id: _role_key(builtin, custom)
        for space_id, builtin, custom in session.execute(
            select(
                SpaceMembership.space_id, SpaceMembership.role, SpaceMembership.custom_role_id
            ).where(SpaceMembership.user_id == user_id)
        )
    }
    groups = frozenset(
        session.scalars(select(GroupMember.group_id).where(GroupMember.user_id == user_id))
    )
    return UserGrants(
        email=user.email,
        active=user.is_active,
        account_role=_role_key(user.account_role, user.account_custom_role_id),
        space_roles=spaces,
        groups=groups,
    )


def load_space_name(session: Session, account_id: int, space_id: int) -> str | None:
    return session.scalar(
        select(Space.name).where(Space.id == space_id, Space.account_id == account_id)
    )


def load_role(session: Session, account_id: int, role_id: int) -> RoleDef | None:
    role = session.scalar(
        select(CustomRole).where(CustomRole.id == role_id, CustomRole.account_id == account_id)
    )
    return role_def(role) if role is not None else None


def _groups(session: Session, account_id: int, group_id: int | None = None) -> list[GroupGrant]:
    """The account's groups (or the one `group_id`), with their members and roles."""
    scope = [Group.account_id == account_id]
    if group_id is not None:
        scope.append(Group.id == group_id)
    members: dict[int, set[int]] = {}
    for group, user in session.execute(
        select(GroupMember.group_id, GroupMember.user_id)
        .join(Group, Group.id == GroupMember.group_id)
        .where(*scope)
    ):
        members.setdefault(group, set()).add(user)
    space_roles: dict[int, dict[int, RoleKey]] = {}
    for group, space_id, builtin, custom in session.execute(
        select(
            GroupSpaceRole.group_id,
            GroupSpaceRole.space_id,
            GroupSpaceRole.role,
            GroupSpaceRole.custom_role_id,
        )
        .join(Group, Group.id == GroupSpaceRole.group_id)
        .where(*scope)
    ):
        space_roles.setdefault(group, {})[space_id] = _role_key(builtin, custom)
    return [
        GroupGrant(
            group,
            name,
            frozenset(members.get(group, ())),
            builtin if builtin is not None else custom,
            space_roles.get(group, {}),
        )
        for group, name, builtin, custom in session.execute(
            select(Group.id, Group.name, Group.account_role, Group.account_custom_role_id).where(
                *scope
            )
        )
    ]


def load_group(session: Session, account_id: int, group_id: int) -> GroupGrant | None:
    """The group as the index keeps it (None: deleted)."""
    found = _groups(session, account_id, group_id)
    return found[0] if found else None


def _role_key(builtin: str | None, custom: int | None) -> RoleKey:
    if builtin is not None:
        return builtin
    assert custom is not None, "the schema's check constraint keeps exactly one role set"
    return custom


class _RawCursor:
    """Rows straight from the DBAPI cursor of the session's connection, in chunks."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self._dbapi = connection.connection.dbapi_connection
        self._placeholder = "?" if connection.dialect.paramstyle == "qmark" else "%s"

    def rows(self, sql: str, *params: object) -> Iterator[Any]:
        assert self._dbapi is not None
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(sql.format(p=self._placeholder), params)
            while chunk := cursor.fetchmany(_CHUNK):
                yield from chunk
        finally:
            cursor.close()
