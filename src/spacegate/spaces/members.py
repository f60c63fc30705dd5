"""Who is in a space, and in which role: memberships, added, changed and removed under
rules 4 and 5, and users as the API shows them with their spaces."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.authz import BuiltinRole, Level
from spacegate.errors import Conflict, NotFound
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Access
from spacegate.names import email_key
from spacegate.roles.service import (
    RoleRef,
    custom_role_names,
    ensure_may_grant,
    ensure_may_manage_holder,
    resolve_role,
    role_name,
)
from spacegate.spaces.models import Space, SpaceMembership
from spacegate.users import service as users
from spacegate.users.models import User
from spacegate.users.service import SpaceRoleView, UserView


@dataclass(frozen=True)
class MemberView:
    user: User
    space_role: str
    joined_at: datetime


def user_views(session: Session, account_id: int, users_: list[User]) -> list[UserView]:
    """Users with their role names and spaces, in two queries whatever the page size."""
    names = custom_role_names(session, account_id)
    spaces: dict[int, list[SpaceRoleView]] = {user.id: [] for user in users_}
    rows = session.execute(
        select(
            SpaceMembership.user_id,
            Space.name,
            SpaceMembership.role,
            SpaceMembership.custom_role_id,
        )
        .join(Space, Space.id == SpaceMembership.space_id)
        .where(SpaceMembership.user_id.in_(list(spaces)))
        .order_by(Space.name_key)
    )
    for user_id, space, builtin, custom in rows:
        spaces[user_id].append(SpaceRoleView(space, role_name(builtin, custom, names)))
    full_access = users.full_access_roles(session, account_id)
    return [
        UserView(
            user,
            role_name(user.account_role, user.account_custom_role_id, names),
            (user.account_role or user.account_custom_role_id) in full_access,
            spaces[user.id],
        )
        for user in users_
    ]


def user_view(session: Session, user: User) -> UserView:
    return user_views(session, user.account_id, [user])[0]


def space_role_name(session: Session, space_id: int, user_id: int) -> str | None:
    """The name of the user's role in the space; None when they are not a member."""
    membership = session.get(SpaceMembership, (space_id, user_id))
    if membership is None:
        return None
    if membership.role is not None:
        return membership.role
    space = session.get(Space, space_id)
    assert space is not None, "a membership's space exists"
    return custom_role_names(session, space.account_id).get(membership.custom_role_id or 0)


def space_role_holders(session: Session, role_id: int) -> list[str]:
    """Who holds the custom space role where, as sentences a person can act on (the
    answer to `roles.service.ROLE_HOLDERS`)."""
    holders = session.execute(
        select(User.email, Space.name)
        .join(SpaceMembership, SpaceMembership.user_id == User.id)
        .join(Space, Space.id == SpaceMembership.space_id)
        .where(SpaceMembership.custom_role_id == role_id)
        .order_by(Space.name_key, User.email_key)
    )
    return [f"space role of {email} in space '{space}'" for email, space in holders]


def space_role_scopes(session: Session, role_id: int) -> list[str]:
    """The ids (as text) of the spaces where a user holds the custom space role (an
    answer to `roles.service.ROLE_SCOPES`)."""
    held = session.scalars(
        select(SpaceMembership.space_id).where(SpaceMembership.custom_role_id == role_id).distinct()
    )
    return [str(space_id) for space_id in held]


def members(
    session: Session, space: Space, *, limit: int | None = None, after: str | None = None
) -> list[MemberView]:
    """The space's members by email: a page of `limit` after the email key `after`."""
    names = custom_role_names(session, space.account_id)
    statement = (
        select(User, SpaceMembership)
        .join(SpaceMembership, SpaceMembership.user_id == User.id)
        .where(SpaceMembership.space_id == space.id)
    )
    if after is not None:
        statement = statement.where(User.email_key > after)
    statement = statement.order_by(User.email_key)
    if limit is not None:
        statement = statement.limit(limit)
    rows = session.execute(statement)
    return [
        MemberView(user, role_name(m.role, m.custom_role_id, names), m.created_at)
        for user, m in rows
    ]


def candidates(
    session: Session, space: Space, query: str | None, limit: int, after: str | None = None
) -> list[User]:
    """Active account users not yet in the space, by email (a page of `limit` after the
    email key `after`): the "Add Users" picker."""
    in_space = select(SpaceMembership.user_id).where(SpaceMembership.space_id == space.id)
    statement = select(User).where(
        User.account_id == space.account_id, User.status == "active", User.id.not_in(in_space)
    )
    if query:
        statement = statement.where(users.matches(query))
    if after is not None:
        statement = statement.where(User.email_key > after)
    return list(session.scalars(statement.order_by(User.email_key).limit(limit)))


def _membership(session: Session, space: Space, user: User) -> SpaceMembership | None:
    return session.get(SpaceMembership, (space.id, user.id))


def is_member(session: Session, space: Space, user: User) -> bool:
    return _membership(session, space, user) is not None


def _account_user(
    session: Session, space: Space, email: str, refused_domains: Collection[str] = ()
) -> User:
    """Rule 4: only users who already belong to the account can be added to a space. An
    address on a refused domain is refused (InvalidInput) before it is looked up."""
    email_key(email, refused_domains)
    user = users.find_user(session, space.account_id, email)
    if user is None:
        raise NotFound(f"There is no user '{email}' in this account; invite them first.")
    return user


def add_membership(session: Session, space: Space, user: User, role: RoleRef) -> SpaceMembership:
    """The one way a membership comes to be: `user` holds `role` in `space`. Checks no
    permission and writes no audit event (the caller has done the one and writes the
    other: `add_member`, or an invitation's sign-up)."""
    membership = SpaceMembership(
        space_id=space.id, user_id=user.id, role=role.builtin, custom_role_id=role.custom_id
    )
    session.add(membership)
    session.flush()
    mark_changed(session, space.account_id, "user", user.id)
    return membership


def add_member(
    session: Session,
    access: Access,
    space: Space,
    *,
    email: str,
    space_role: str | None,
    refused_domains: Collection[str],
) -> MemberView:
    """Add a user of the account to the space. Raises InvalidInput (no such role, an
    address on a refused domain), Forbidden (a role beyond the caller's), NotFound (not
    a user of the account), Conflict (deactivated, or already a member)."""
    role = resolve_role(
        session, space.account_id, space_role or BuiltinRole.SPACE_MEMBER.value, Level.SPACE
    )
    ensure_may_grant(access, role, space.id)
    user = _account_user(session, space, email, refused_domains)
    if not user.is_active:
        raise Conflict(
            f"{user.email} is deactivated; reactivate them before adding them to a space."
        )
    if _membership(session, space, user) is not None:
        raise Conflict(f"{user.email} is already a member of space '{space.name}'.")
    membership = add_membership(session, space, user, role)
    audit.record(
        session,
        access.caller.actor,
        "space.member_add",
        target_type="user",
        target=user.email,
        after={"space": space.name, "space_role": role.name},
    )
    return MemberView(user, role.name, membership.created_at)


def _existing_membership(
    session: Session, access: Access, space: Space, user: User
) -> SpaceMembership:
    """The user's membership, which the caller's own permissions in the space must cover."""
    membership = _membership(session, space, user)
    if membership is None:
        raise NotFound(f"{user.email} is not a member of space '{space.name}'.")
    role = membership.role if membership.role is not None else membership.custom_role_id
    assert role is not None, "the schema's check constraint keeps exactly one role set"
    ensure_may_manage_holder(access, role, Level.SPACE, space.id, user.email)
    return membership


def set_member_role(
    session: Session, access: Access, space: Space, email: str, space_role: str
) -> MemberView:
    """Raises InvalidInput (422) for an unknown role, Forbidden (403) for a role, or a
    member's current role, beyond the caller's own in the space, NotFound (404) for an
    email that is not a user of the account or not a member."""
    role = resolve_role(session, space.account_id, space_role, Level.SPACE)
    ensure_may_grant(access, role, space.id)
    user = _account_user(session, space, email)
    membership = _existing_membership(session, access, space, user)
    names = custom_role_names(session, space.account_id)
    before = role_name(membership.role, membership.custom_role_id, names)
    membership.role, membership.custom_role_id = role.builtin, role.custom_id
    session.flush()
    mark_changed(session, space.account_id, "user", user.id)
    audit.record(
        session,
        access.caller.actor,
        "space.member_role",
        target_type="user",
        target=user.email,
        before={"space": space.name, "space_role": before},
        after={"space": space.name, "space_role": role.name},
    )
    return MemberView(user, role.name, membership.created_at)


def remove_member(session: Session, access: Access, space: Space, email: str) -> None:
    """Raises NotFound (404) for an email that is not a user of the account or not a
    member, Forbidden (403) for a member whose role goes beyond the caller's own."""
    user = _account_user(session, space, email)
    membership = _existing_membership(session, access, space, user)
    names = custom_role_names(session, space.account_id)
    before = role_name(membership.role, membership.custom_role_id, names)
    session.delete(membership)
    mark_changed(session, space.account_id, "user", user.id)
    audit.record(
        session,
        access.caller.actor,
        "space.member_remove",
        target_type="user",
        target=user.email,
        before={"space": space.name, "space_role": before},
    )
