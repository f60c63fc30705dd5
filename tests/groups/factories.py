"""Arranging groups for tests, committed through the models."""

from __future__ import annotations

from sqlalchemy import select

from spacegate.db import transaction
from spacegate.grants.cache import mark_changed
from spacegate.groups.models import Group, GroupMember, GroupSpaceRole
from spacegate.runtime import Runtime
from spacegate.users.models import User


def new_group(
    runtime: Runtime,
    account_id: int,
    name: str,
    *,
    members: tuple[str, ...] = (),
    account_role: str | None = None,
    space_roles: tuple[tuple[int, str], ...] = (),
    idp_identifier: str | None = None,
) -> int:
    """A group with built-in roles: `space_roles` are (space id, role name)."""
    with transaction(runtime.sessions) as session:
        group = Group(
            account_id=account_id,
            name=name,
            name_key=name.lower(),
            account_role=account_role,
            idp_identifier=idp_identifier,
        )
        session.add(group)
        session.flush()
        for space_id, role in space_roles:
            session.add(GroupSpaceRole(group_id=group.id, space_id=space_id, role=role))
        for email in members:
            user_id = session.scalar(
                select(User.id).where(User.account_id == account_id, User.email_key == email)
            )
            assert user_id is not None, email
            session.add(GroupMember(group_id=group.id, user_id=user_id))
        mark_changed(session, account_id)
        return group.id
