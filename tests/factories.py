"""Small typed helpers that arrange accounts, users, spaces and tokens for tests.

Each commits its own unit of work through the real services or models, so what the
API sees afterwards is what a real installation would hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from spacegate.accounts.service import create_account
from spacegate.auth.models import TokenKind
from spacegate.auth.service import issue_token
from spacegate.authz import AccountIndex, Level, Permission
from spacegate.db import transaction
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Access, Caller
from spacegate.roles.models import CustomRole
from spacegate.runtime import Runtime
from spacegate.spaces.models import Space, SpaceMembership
from spacegate.users.models import User

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Person:
    email: str
    token: str
    user_id: int
    account_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def request_access(index: AccountIndex, user_id: int) -> Access:
    """What a request of `user_id` decides with: their caller, signed in with a token
    that is not narrowed, over the account's grant `index`."""
    caller = Caller(
        user_id=user_id,
        account_id=1,
        account_name="acme",
        email=f"user{user_id}@example.com",
        token_id=1,
        token_kind="session",
    )
    return Access(caller, index)


def new_account(runtime: Runtime, name: str = "acme", admin: str = "admin@example.com") -> Person:
    with transaction(runtime.sessions) as session:
        account, user = create_account(
            session,
            runtime.passwords,
            name=name,
            admin_email=admin,
            admin_password=PASSWORD,
            refused_domains=runtime.settings.refused_email_domains,
        )
        issued = issue_token(session, user, TokenKind.API, lifetime=timedelta(days=1))
        return Person(user.email, issued.secret, user.id, account.id)


def new_user(
    runtime: Runtime,
    account_id: int,
    email: str,
    *,
    account_role: str | None = "Member",
    custom_account_role: str | None = None,
    status: str = "active",
) -> Person:
    with transaction(runtime.sessions) as session:
        custom_id = None
        if custom_account_role is not None:
            custom_id = (
                session.query(CustomRole.id)
                .filter_by(account_id=account_id, name_key=custom_account_role.lower())
                .scalar()
            )
            account_role = None
        user = User(
            account_id=account_id,
            email=email,
            email_key=email.lower(),
            first_name=email.split("@")[0].title(),
            last_name="Tester",
            password_hash=runtime.passwords.hash(PASSWORD),
            account_role=account_role,
            account_custom_role_id=custom_id,
            status=status,
        )
        session.add(user)
        session.flush()
        mark_changed(session, account_id)
        issued = issue_token(session, user, TokenKind.API, lifetime=timedelta(days=1))
        return Person(user.email, issued.secret, user.id, account_id)


def new_space(runtime: Runtime, account_id: int, name: str) -> int:
    with transaction(runtime.sessions) as session:
        space = Space(account_id=account_id, name=name, name_key=name.lower())
        session.add(space)
        session.flush()
        mark_changed(session, account_id)
        return space.id


def add_member(runtime: Runtime, space_id: int, user_id: int, role: str) -> None:
    """Add a membership with a built-in role name, or a custom space role's name."""
    with transaction(runtime.sessions) as session:
        space = session.get(Space, space_id)
        assert space is not None
        custom_id = (
            session.query(CustomRole.id)
            .filter_by(account_id=space.account_id, name_key=role.lower())
            .scalar()
        )
        session.add(
            SpaceMembership(
                space_id=space_id,
                user_id=user_id,
                role=None if custom_id else role,
                custom_role_id=custom_id,
            )
        )
        mark_changed(session, space.account_id)


def new_custom_role(
    runtime: Runtime, account_id: int, name: str, level: Level, permissions: list[Permission]
) -> None:
    with transaction(runtime.sessions) as session:
        session.add(
            CustomRole(
                account_id=account_id,
                name=name,
                name_key=name.lower(),
                level=level.value,
                permissions=[p.value for p in permissions],
            )
        )
        mark_changed(session, account_id)
