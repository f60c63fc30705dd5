"""Account users: listing, direct add, removal, account roles and status.

Every path that could leave the account without an active Account Admin goes through
`_ensure_another_active_admin`, which first locks the account row (rule 5).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.auth import service as auth_service
from spacegate.auth.passwords import Passwords, check_password_policy
from spacegate.authz import BuiltinRole, Level, Permission
from spacegate.errors import Conflict, LastAdmin, NotFound
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Access
from spacegate.names import clean_email
from spacegate.roles.service import (
    RoleRef,
    custom_role_names,
    ensure_may_grant,
    ensure_may_manage_holder,
    list_roles,
    resolve_role,
    role_name,
)
from spacegate.spaces.models import Space, SpaceMembership
from spacegate.users.models import User, UserStatus


@dataclass(frozen=True)
class SpaceRoleView:
    space_name: str
    space_role: str


@dataclass(frozen=True)
class UserView:
    user: User
    account_role: str
    has_access_to_all_spaces: bool
    member_in_spaces: list[SpaceRoleView]


def find_user(session: Session, account_id: int, email: str) -> User | None:
    return session.scalar(
        select(User).where(User.account_id == account_id, User.email_key == email.strip().lower())
    )


def get_user(session: Session, account_id: int, email: str) -> User:
    user = find_user(session, account_id, email)
    if user is None:
        raise NotFound(f"There is no user '{email}' in this account.")
    return user


def views(session: Session, account_id: int, users: list[User]) -> list[UserView]:
    """Users with their role names and spaces, in two queries whatever the page size."""
    names = custom_role_names(session, account_id)
    spaces: dict[int, list[SpaceRoleView]] = {user.id: [] for user in users}
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
    full_access = full_access_roles(session, account_id)
    return [
        UserView(
            user,
            role_name(user.account_role, user.account_custom_role_id, names),
            (user.account_role or user.account_custom_role_id) in full_access,
            spaces[user.id],
        )
        for user in users
    ]


def full_access_roles(session: Session, account_id: int) -> set[str | int | None]:
    """Keys of the account roles that hold FULL_ACCESS_ALL_SPACES."""
    return {
        role.key
        for role in list_roles(session, account_id, Level.ACCOUNT)
        if Permission.FULL_ACCESS_ALL_SPACES in role.permissions
    }


def matches(query: str) -> ColumnElement[bool]:
    """Users whose email or name contains `query`, case-insensitively; `%` and `_` in
    the query are literal characters, not wildcards."""
    escaped = query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        User.email_key.like(pattern, escape="\\"),
        func.lower(User.first_name + " " + User.last_name).like(pattern, escape="\\"),
    )


def list_users(
    session: Session, account_id: int, *, query: str | None, limit: int, after_id: int | None
) -> list[User]:
    statement = select(User).where(User.account_id == account_id)
    if query:
        statement = statement.where(matches(query))
    if after_id is not None:
        statement = statement.where(User.id > after_id)
    return list(session.scalars(statement.order_by(User.id).limit(limit)))


def _apply_account_role(user: User, role: RoleRef) -> None:
    user.account_role = role.builtin
    user.account_custom_role_id = role.custom_id


def add_user(
    session: Session,
    access: Access,
    passwords: Passwords,
    *,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None,
    account_role: str | None,
) -> User:
    """Add a user directly, without an invitation (API only, as in Torque)."""
    account_id = access.caller.account_id
    email = clean_email(email)
    role = resolve_role(
        session, account_id, account_role or BuiltinRole.MEMBER.value, Level.ACCOUNT
    )
    ensure_may_grant(access, role, None)
    if find_user(session, account_id, email) is not None:
        raise Conflict(f"'{email}' is already a user of this account.", field="email")
    if password is not None:
        check_password_policy(password, email=email)
    user = User(
        account_id=account_id,
        email=email,
        email_key=email.lower(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        password_hash=passwords.hash(password) if password is not None else None,
        status=UserStatus.ACTIVE.value,
    )
    _apply_account_role(user, role)
    session.add(user)
    session.flush()
    mark_changed(session, account_id)
    audit.record(
        session,
        access.caller.actor,
        "user.add",
        target_type="user",
        target=email,
        after={"account_role": role.name},
    )
    return user


def _is_active_admin(user: User) -> bool:
    return user.is_active and user.account_role == BuiltinRole.ADMIN.value


def _lock_account_and_get_user(session: Session, account_id: int, email: str) -> User:
    """Take the account lock, then read the user afresh.

    `mark_changed` updates the account row, so two changes in one account run one after
    the other and the second reads what the first committed (PostgreSQL: row lock, then
    a fresh READ COMMITTED snapshot; SQLite: the write lock taken at BEGIN IMMEDIATE).
    """
    mark_changed(session, account_id)
    user = session.scalar(
        select(User)
        .where(User.account_id == account_id, User.email_key == email.strip().lower())
        .execution_options(populate_existing=True)
    )
    if user is None:
        raise NotFound(f"There is no user '{email}' in this account.")
    return user


def _ensure_may_manage(access: Access, user: User) -> None:
    """Changing, deactivating or removing a user needs permissions covering their account
    role: a user manager without INVITE_ACCOUNT_ADMINS cannot touch an Admin (rule 4)."""
    current = user.account_role if user.account_role is not None else user.account_custom_role_id
    assert current is not None, "the schema's check constraint keeps exactly one role set"
    ensure_may_manage_holder(access, current, Level.ACCOUNT, None, user.email)


def _ensure_another_active_admin(session: Session, user: User, doing: str) -> None:
    """Refuse (409) when `user` is the account's last active Account Admin (rule 5).
    Call it only after `_lock_account_and_get_user`."""
    if not _is_active_admin(user):
        return
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.account_id == user.account_id,
            User.id != user.id,
            User.account_role == BuiltinRole.ADMIN.value,
            User.status == UserStatus.ACTIVE.value,
        )
    )
    if not others:
        raise LastAdmin(
            f"{user.email} is the last active Account Admin; cannot {doing}. "
            "Make another user an Admin first."
        )


def remove_user(session: Session, access: Access, email: str) -> None:
    user = _lock_account_and_get_user(session, access.caller.account_id, email)
    _ensure_may_manage(access, user)
    _ensure_another_active_admin(session, user, "remove them")
    auth_service.revoke_all_for_user(session, user.id)
    audit.record(
        session,
        access.caller.actor,
        "user.remove",
        target_type="user",
        target=user.email,
        before={"status": user.status},
    )
    session.delete(user)


def set_account_role(session: Session, access: Access, email: str, role_name_: str) -> UserView:
    account_id = access.caller.account_id
    # The user the path names comes first: no such user is 404 whatever role is asked.
    user = _lock_account_and_get_user(session, account_id, email)
    _ensure_may_manage(access, user)
    role = resolve_role(session, account_id, role_name_, Level.ACCOUNT)
    ensure_may_grant(access, role, None)
    names = custom_role_names(session, account_id)
    before = role_name(user.account_role, user.account_custom_role_id, names)
    if role.builtin != BuiltinRole.ADMIN.value:
        _ensure_another_active_admin(session, user, f"make them {role.name}")
    _apply_account_role(user, role)
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "user.account_role",
        target_type="user",
        target=user.email,
        before={"account_role": before},
        after={"account_role": role.name},
    )
    return views(session, account_id, [user])[0]


def set_status(session: Session, access: Access, email: str, status: UserStatus) -> UserView:
    account_id = access.caller.account_id
    user = _lock_account_and_get_user(session, account_id, email)
    _ensure_may_manage(access, user)
    before = user.status
    if status is UserStatus.INACTIVE:
        _ensure_another_active_admin(session, user, "deactivate them")
        auth_service.revoke_all_for_user(session, user.id)
    user.status = status.value
    session.flush()
    if before != user.status:
        audit.record(
            session,
            access.caller.actor,
            f"user.{'deactivate' if status is UserStatus.INACTIVE else 'reactivate'}",
            target_type="user",
            target=user.email,
            before={"status": before},
            after={"status": user.status},
        )
    return views(session, account_id, [user])[0]


def active_admin_count(session: Session, account_id: int) -> int:
    """How many active Account Admins the account has: rule 5 keeps one at least, so a
    page offers no way to remove, deactivate or demote the last one."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.account_id == account_id,
                User.account_role == BuiltinRole.ADMIN.value,
                User.status == UserStatus.ACTIVE.value,
            )
        )
        or 0
    )
