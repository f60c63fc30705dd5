"""Spaces and memberships. A membership grants its space role in that space only.

Deleting a space asks the domains above (`SPACE_DELETION`, see `spacegate.consult`)
what keeps it; environments answer with those still running there.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.authz import BuiltinRole, Level, Permission
from spacegate.authz.masks import sorted_permissions
from spacegate.consult import ask
from spacegate.errors import Conflict, InvalidInput, NotFound
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Access
from spacegate.names import clean_name, email_key
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

COLORS = ("blue", "green", "orange", "purple", "red", "teal", "yellow", "grey")

SPACE_DELETION = "space-deletion"
"""Asked (`spacegate.consult.ask`) with the space before deleting it: the domains above
answer with what must end first (environments: those still running)."""


@dataclass(frozen=True)
class MemberView:
    user: User
    space_role: str
    joined_at: datetime


def _clean_color(color: str | None) -> str | None:
    if color is None:
        return None
    if color not in COLORS:
        raise InvalidInput(
            f"'{color}' is not a space color; choose one of {', '.join(COLORS)}.", field="color"
        )
    return color


def _clean_icon(icon: str | None) -> str | None:
    if icon is None:
        return None
    icon = icon.strip()
    if not icon or len(icon) > 32 or not icon.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("The icon must be 1 to 32 letters, digits, '-' or '_'.", field="icon")
    return icon


def find_space(session: Session, account_id: int, name: str) -> Space | None:
    return session.scalar(
        select(Space).where(Space.account_id == account_id, Space.name_key == name.strip().lower())
    )


def get_space(session: Session, space_id: int) -> Space | None:
    return session.get(Space, space_id)


def account_spaces(session: Session, account_id: int) -> list[Space]:
    """Every space of the account, by name: for administrators, who see them all."""
    return list(
        session.scalars(
            select(Space).where(Space.account_id == account_id).order_by(Space.name_key)
        )
    )


def space_names(session: Session, account_id: int) -> dict[int, str]:
    """The names of the account's spaces, by id."""
    return {space.id: space.name for space in account_spaces(session, account_id)}


def visible_spaces(session: Session, access: Access) -> list[Space]:
    """The spaces the caller sees (rule 3), by name."""
    spaces = account_spaces(session, access.caller.account_id)
    return [space for space in spaces if access.can_see_space(space.id)]


def _ensure_free_name(
    session: Session, account_id: int, name: str, except_id: int | None = None
) -> None:
    existing = find_space(session, account_id, name)
    if existing is not None and existing.id != except_id:
        raise Conflict(f"A space named '{existing.name}' already exists.", field="name")


def create_space(
    session: Session, access: Access, *, name: str, color: str | None, icon: str | None
) -> Space:
    """Raises InvalidInput (422) for a bad name, color or icon, Conflict (409) for a
    name another space of the account has."""
    account_id = access.caller.account_id
    name = clean_name(name, "space")
    _ensure_free_name(session, account_id, name)
    space = Space(
        account_id=account_id,
        name=name,
        name_key=name.lower(),
        color=_clean_color(color) or "blue",
        icon=_clean_icon(icon) or "space",
    )
    session.add(space)
    session.flush()
    mark_changed(session, account_id, "space", space.id)  # the index maps names to ids
    audit.record(
        session,
        access.caller.actor,
        "space.create",
        target_type="space",
        target=name,
        after={"color": space.color, "icon": space.icon},
    )
    return space


def update_space(
    session: Session,
    access: Access,
    space: Space,
    *,
    name: str | None,
    color: str | None,
    icon: str | None,
) -> Space:
    """Rename, recolor or change the icon; what is None stays. Raises InvalidInput
    (422) for a bad name, color or icon, Conflict (409) for a name another space has."""
    before = {"name": space.name, "color": space.color, "icon": space.icon}
    if name is not None:
        new_name = clean_name(name, "space")
        _ensure_free_name(session, space.account_id, new_name, except_id=space.id)
        space.name, space.name_key = new_name, new_name.lower()
        mark_changed(session, space.account_id, "space", space.id)
    space.color = _clean_color(color) or space.color
    space.icon = _clean_icon(icon) or space.icon
    session.flush()
    after = {"name": space.name, "color": space.color, "icon": space.icon}
    if after != before:
        audit.record(
            session,
            access.caller.actor,
            "space.update",
            target_type="space",
            target=space.name,
            before=before,
            after=after,
        )
    return space


def delete_space(session: Session, access: Access, space: Space) -> None:
    """Delete the space with its memberships; pending invitations into it keep the grant
    without the space (sign-up says it was skipped), narrowed tokens lose it. Raises
    Conflict (409) while environments of the space still run: they must be ended first,
    or their cloud resources would be left behind with no owner."""
    running = ask(session, SPACE_DELETION, space)
    if running:
        raise Conflict(
            f"Space '{space.name}' still has running environments ({', '.join(running)}); "
            "end them first."
        )
    members = session.scalar(
        select(func.count())
        .select_from(SpaceMembership)
        .where(SpaceMembership.space_id == space.id)
    )
    audit.record(
        session,
        access.caller.actor,
        "space.delete",
        target_type="space",
        target=space.name,
        before={"members": members},
    )
    session.delete(space)
    mark_changed(session, space.account_id, "space", space.id)


# -- members ---------------------------------------------------------------------------


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


def members(session: Session, space: Space) -> list[MemberView]:
    names = custom_role_names(session, space.account_id)
    rows = session.execute(
        select(User, SpaceMembership)
        .join(SpaceMembership, SpaceMembership.user_id == User.id)
        .where(SpaceMembership.space_id == space.id)
        .order_by(User.email_key)
    )
    return [
        MemberView(user, role_name(m.role, m.custom_role_id, names), m.created_at)
        for user, m in rows
    ]


def candidates(session: Session, space: Space, query: str | None, limit: int) -> list[User]:
    """Active account users not yet in the space: the "Add Users" picker."""
    in_space = select(SpaceMembership.user_id).where(SpaceMembership.space_id == space.id)
    statement = select(User).where(
        User.account_id == space.account_id, User.status == "active", User.id.not_in(in_space)
    )
    if query:
        statement = statement.where(users.matches(query))
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


def space_permissions(access: Access, space: Space) -> list[Permission]:
    return sorted_permissions(access.mask(space.id))
