"""Membership changes that check no person's permissions: the callers hold the
account lock (`mark_changed`) and have checked rule 4 where a person asks (the groups
service), or act for the identity provider (SSO group sync, SCIM). Rule 5 is checked
here: a change that would take the last active Account Admin is undone (LastAdmin)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.errors import NotFound
from spacegate.grants.context import Actor
from spacegate.groups.admins import ensure_an_admin_remains
from spacegate.groups.models import Group, GroupMember
from spacegate.groups.views import snapshot, views
from spacegate.users.models import User


def replace_members(session: Session, group: Group, user_ids: set[int]) -> tuple[int, ...]:
    """Make `user_ids` the group's members; returns the ids removed. The caller checks
    rules 4 and 5 and marks the account changed."""
    current = set(
        session.scalars(select(GroupMember.user_id).where(GroupMember.group_id == group.id))
    )
    removed = tuple(sorted(current - user_ids))
    if removed:
        session.execute(
            delete(GroupMember).where(
                GroupMember.group_id == group.id, GroupMember.user_id.in_(removed)
            )
        )
    for user_id in sorted(user_ids - current):
        session.add(GroupMember(group_id=group.id, user_id=user_id))
    return removed


def delete_without_checks(session: Session, actor: Actor, group: Group) -> None:
    """Delete the group unless that takes away the last Account Admin; the caller took
    the account lock and checked rule 4 where a person asks."""
    before = snapshot(views(session, group.account_id, [group])[0])
    with session.begin_nested():
        session.delete(group)
        ensure_an_admin_remains(
            session,
            group.account_id,
            f"The group '{group.name}' holds the last active Account Admin; make another "
            "user an Admin before deleting it.",
        )
    audit.record(
        session, actor, "group.delete", target_type="group", target=group.name, before=before
    )


def remove_member_without_checks(session: Session, actor: Actor, group: Group, user: User) -> None:
    """Take `user` out of `group` unless they are not in it (NotFound) or it takes away
    the last Account Admin (LastAdmin); the caller took the account lock."""
    membership = session.get(GroupMember, (group.id, user.id))
    if membership is None:
        raise NotFound(f"{user.email} is not a member of the group '{group.name}'.")
    with session.begin_nested():
        session.delete(membership)
        ensure_an_admin_remains(
            session,
            group.account_id,
            f"{user.email} is the last active Account Admin, through the group "
            f"'{group.name}'; make another user an Admin first.",
        )
    audit.record(
        session,
        actor,
        "group.member_remove",
        target_type="user",
        target=user.email,
        before={"group": group.name},
    )
