"""Account users: the one way a user is created, listing, direct add, removal, account
roles and status.

Every path that could leave the account without an active Account Admin goes through
`_ensure_another_active_admin`, which first locks the account row (rule 5). A user's
tokens are auth's: they end with a removed user (foreign key) and, on deactivation, when
this tells `USER_DEACTIVATED` (see `spacegate.consult`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.authz import BuiltinRole, Level, Permission
from spacegate.consult import tell
from spacegate.errors import Conflict, LastAdmin, NotFound
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Access
from spacegate.groups.admins import active_admins
from spacegate.names import clean_email, email_key
from spacegate.roles.service import (
    RoleRef,
    custom_role_names,
    ensure_may_grant,
    ensure_may_manage_holder,
    list_roles,
    resolve_role,
)
from spacegate.users.models import User, UserStatus
from spacegate.users.passwords import Passwords, check_password_policy

USER_DEACTIVATED = "user-deactivated"
"""Told (`spacegate.consult.tell`) with the user's id when a user is deactivated; auth
ends their tokens then (rule 6), so that a reactivation revives none of them."""


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
        select(User).where(User.account_id == account_id, User.email_key == email_key(email))
    )


def get_user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user(session: Session, account_id: int, email: str) -> User:
    user = find_user(session, account_id, email)
    if user is None:
        raise NotFound(f"There is no user '{email}' in this account.")
    return user


_IN_CHUNK = 500  # keys per IN (...) list, well under every database's parameter limit


def users_by_email(session: Session, account_id: int, emails: list[str]) -> dict[str, User]:
    """The account's users with these emails, by lowercased email, in a query per 500."""
    keys = [email.strip().lower() for email in emails]
    found: dict[str, User] = {}
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        for user in session.scalars(
            select(User).where(User.account_id == account_id, User.email_key.in_(chunk))
        ):
            found[user.email_key] = user
    return found


def account_role_name(session: Session, user: User) -> str:
    """The name of the user's account role."""
    if user.account_role is not None:
        return user.account_role
    return custom_role_names(session, user.account_id).get(user.account_custom_role_id or 0, "")


def account_role_holders(session: Session, role_id: int) -> list[str]:
    """Who holds the custom account role, as sentences a person can act on (the answer
    to `roles.service.ROLE_HOLDERS`)."""
    holders = session.scalars(
        select(User.email).where(User.account_custom_role_id == role_id).order_by(User.email_key)
    )
    return [f"account role of {email}" for email in holders]


def account_role_scopes(session: Session, role_id: int) -> list[str]:
    """`["account"]` when a user holds the custom account role (an answer to
    `roles.service.ROLE_SCOPES`)."""
    held = session.scalar(select(User.id).where(User.account_custom_role_id == role_id).limit(1))
    return ["account"] if held is not None else []


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


def create_user(
    session: Session,
    passwords: Passwords | None,
    *,
    account_id: int,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None,
    role: RoleRef,
    refused_domains: Collection[str] = (),
) -> User:
    """The one way a user comes to be (setup's first Admin, a direct add, an accepted
    invitation, single sign-on's just-in-time provisioning): active, with `role` as
    account role and `password` (none: no password sign-in yet; `passwords` hashes
    it). Checks no permission and writes no audit event: the caller has done the one
    and writes the other, saying why.

    Raises InvalidInput (422) for a bad email, one on a domain in `refused_domains`, or
    a password the policy refuses, Conflict (409) for an email that is already a user of
    the account."""
    email = clean_email(email, refused_domains)
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
        password_hash=passwords.hash(password) if passwords and password is not None else None,
        status=UserStatus.ACTIVE.value,
    )
    _apply_account_role(user, role)
    session.add(user)
    session.flush()
    mark_changed(session, account_id, "user", user.id)
    return user


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
    refused_domains: Collection[str],
) -> User:
    """Add a user directly, without an invitation (API only, as in Torque). Raises
    InvalidInput (422) for a bad email, one on a refused domain, a bad role or password,
    Forbidden (403) for a role beyond the caller's own (rule 4), Conflict (409) for an
    email already a user."""
    account_id = access.caller.account_id
    email = clean_email(email, refused_domains)
    role = resolve_role(
        session, account_id, account_role or BuiltinRole.MEMBER.value, Level.ACCOUNT
    )
    ensure_may_grant(access, role, None)
    user = create_user(
        session,
        passwords,
        account_id=account_id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        role=role,
    )
    audit.record(
        session,
        access.caller.actor,
        "user.add",
        target_type="user",
        target=user.email,
        after={"account_role": role.name},
    )
    return user


def _lock_account_and_get_user(session: Session, account_id: int, email: str) -> User:
    """Take the account lock, then read the user afresh.

    `mark_changed` updates the account row, so two changes in one account run one after
    the other and the second reads what the first committed (PostgreSQL: row lock, then
    a fresh READ COMMITTED snapshot; SQLite: the write lock taken at BEGIN IMMEDIATE).
    """
    key = email_key(email)
    user_id = session.scalar(
        select(User.id).where(User.account_id == account_id, User.email_key == key)
    )
    if user_id is None:
        raise NotFound(f"There is no user '{email}' in this account.")
    mark_changed(session, account_id, "user", user_id)  # emails do not change: same user
    user = session.scalar(
        select(User).where(User.id == user_id).execution_options(populate_existing=True)
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


def _ensure_another_active_admin(
    session: Session, user: User, doing: str, *, demotion: bool = False
) -> None:
    """Refuse (409) when `user` is the account's last active Account Admin (rule 5),
    counting Admins through a group; a demotion leaves a user who is an Admin through a
    group an Admin. Call it only after `_lock_account_and_get_user`."""
    admins = active_admins(session, user.account_id)
    if user.id not in admins.all or (demotion and user.id in admins.via_groups):
        return
    if not admins.all - {user.id}:
        raise LastAdmin(
            f"{user.email} is the last active Account Admin; cannot {doing}. "
            "Make another user an Admin first."
        )


def remove_user(session: Session, access: Access, email: str) -> None:
    """Remove the user and, with them (foreign keys), their memberships and every token.
    Raises NotFound (404) for no such user, Forbidden (403) for a user whose role goes
    beyond the caller's own, LastAdmin (409) for the last active Account Admin."""
    user = _lock_account_and_get_user(session, access.caller.account_id, email)
    _ensure_may_manage(access, user)
    _ensure_another_active_admin(session, user, "remove them")
    audit.record(
        session,
        access.caller.actor,
        "user.remove",
        target_type="user",
        target=user.email,
        before={"status": user.status},
    )
    session.delete(user)


def set_account_role(session: Session, access: Access, email: str, role_name_: str) -> User:
    """Raises NotFound (404) for no such user, InvalidInput (422) for an unknown role or
    one of the wrong level, Forbidden (403) for a user or role beyond the caller's own,
    LastAdmin (409) when it would demote the last active Account Admin."""
    account_id = access.caller.account_id
    # The user the path names comes first: no such user is 404 whatever role is asked.
    user = _lock_account_and_get_user(session, account_id, email)
    _ensure_may_manage(access, user)
    role = resolve_role(session, account_id, role_name_, Level.ACCOUNT)
    ensure_may_grant(access, role, None)
    before = account_role_name(session, user)
    if role.builtin != BuiltinRole.ADMIN.value:
        _ensure_another_active_admin(session, user, f"make them {role.name}", demotion=True)
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
    return user


def set_status(session: Session, access: Access, email: str, status: UserStatus) -> User:
    """Deactivate (blocks sign-in and ends every token, rule 6) or reactivate. Raises
    NotFound (404) for no such user, Forbidden (403) for a user beyond the caller's own,
    LastAdmin (409) when it would deactivate the last active Account Admin."""
    account_id = access.caller.account_id
    user = _lock_account_and_get_user(session, account_id, email)
    _ensure_may_manage(access, user)
    before = user.status
    if status is UserStatus.INACTIVE:
        _ensure_another_active_admin(session, user, "deactivate them")
        tell(session, USER_DEACTIVATED, user.id)
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
    return user


def active_admin_count(session: Session, account_id: int) -> int:
    """How many active Account Admins the account has, through groups too: rule 5 keeps
    one at least, so a page offers no way to remove, deactivate or demote the last one."""
    return len(active_admins(session, account_id).all)
