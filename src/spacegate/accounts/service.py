"""Accounts and the first run: an installation's tenants, each created with its first Admin."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from spacegate.accounts.models import Account
from spacegate.audit import service as audit
from spacegate.authz import BuiltinRole, Level
from spacegate.crypto import hash_secret
from spacegate.errors import Conflict, NotFound
from spacegate.grants.context import Actor
from spacegate.names import clean_email, clean_name
from spacegate.roles.service import resolve_role
from spacegate.users import service as users
from spacegate.users.models import User
from spacegate.users.passwords import Passwords, check_password_policy


def find_account(session: Session, name: str) -> Account | None:
    """The account of this name (names are case-insensitive), if there is one."""
    return session.scalar(select(Account).where(Account.name_key == name.strip().lower()))


def any_account(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Account.id.is_not(None)))))


@dataclass(frozen=True)
class AccountSummary:
    name: str
    created_at: datetime
    users: int


def account_summaries(session: Session) -> list[AccountSummary]:
    """Every account of the installation with its number of users, by name."""
    rows = session.execute(
        select(Account.name, Account.created_at, func.count(User.id))
        .outerjoin(User, User.account_id == Account.id)
        .group_by(Account.id)
        .order_by(Account.name_key)
    )
    return [AccountSummary(name, created_at, users) for name, created_at, users in rows]


def create_account(
    session: Session,
    passwords: Passwords,
    *,
    name: str,
    admin_email: str,
    admin_password: str,
    first_name: str = "",
    last_name: str = "",
    via: str = "api",
    refused_domains: Collection[str],
) -> tuple[Account, User]:
    """A new account and its first Account Admin. Raises InvalidInput (a bad name or
    address, an address on a refused domain, a weak password), Conflict (the name is
    taken)."""
    name = clean_name(name, "account")
    admin_email = clean_email(admin_email, refused_domains)
    check_password_policy(admin_password, email=admin_email)
    if session.scalar(select(Account.id).where(Account.name_key == name.lower())) is not None:
        raise Conflict(f"An account named '{name}' already exists.")
    account = Account(name=name, name_key=name.lower())
    session.add(account)
    session.flush()
    admin = users.create_user(
        session,
        passwords,
        account_id=account.id,
        email=admin_email,
        first_name=first_name,
        last_name=last_name,
        password=admin_password,
        role=resolve_role(session, account.id, BuiltinRole.ADMIN.value, Level.ACCOUNT),
    )
    audit.record(
        session,
        Actor(account.id, admin_email),
        "account.create",
        target_type="account",
        target=name,
        after={"admin": admin_email, "via": via},
    )
    return account, admin


class SetupGate:
    """The one-time first-run link: valid while the installation has no account.

    Kept in the server's memory: a restart prints a new link, and the old one dies
    with the process that printed it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token_hash: str | None = None

    def open(self, token: str | None = None) -> str:
        """Open the link (with `token`, when the processes of one server share it)."""
        token = token or secrets.token_urlsafe(32)
        with self._lock:
            self._token_hash = hash_secret(token)
        return token

    def check(self, session: Session, token: str) -> None:
        """NotFound unless `token` is the open link and no account exists yet."""
        with self._lock:
            valid = self._token_hash is not None and secrets.compare_digest(
                self._token_hash, hash_secret(token)
            )
        if not valid or any_account(session):
            raise NotFound("This setup link is not valid, or setup is already done.")

    def close(self) -> None:
        with self._lock:
            self._token_hash = None
