"""Sign-in, token issue and revocation, and turning a bearer secret back into a caller."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from spacegate.accounts.models import Account
from spacegate.audit import service as audit
from spacegate.auth.models import Token, TokenKind
from spacegate.auth.ratelimit import LoginLimiter
from spacegate.authz import Permission
from spacegate.authz.masks import mask_of
from spacegate.crypto import hash_secret, new_secret
from spacegate.db import utcnow
from spacegate.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Access, Caller
from spacegate.names import email_key
from spacegate.settings import Settings
from spacegate.spaces.service import find_space
from spacegate.sso.enforcement import ensure_password_sign_in_allowed
from spacegate.users.models import User
from spacegate.users.passwords import Passwords

MAX_TOKEN_NAME = 100
"""The longest name (label) of an API token."""
MAX_TOKEN_DAYS = 3650
"""The longest lifetime of an API token that expires, in days."""


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class IssuedToken:
    token: Token
    secret: str


def issue_token(
    session: Session,
    user: User,
    kind: TokenKind,
    *,
    lifetime: timedelta | None,
    name: str = "",
    permissions: list[str] | None = None,
    space_ids: list[int] | None = None,
    family: str | None = None,
) -> IssuedToken:
    """A new token of `kind` for `user`; its secret is in the answer, only its hash
    is kept. Checks nothing and raises no domain error: callers decide who may have one."""
    secret = new_secret()
    token = Token(
        account_id=user.account_id,
        user_id=user.id,
        kind=kind.value,
        name=name,
        token_hash=hash_secret(secret),
        expires_at=utcnow() + lifetime if lifetime else None,
        permissions=permissions,
        family=family,
    )
    token.narrow_to_spaces(space_ids)
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def issue_session_tokens(
    session: Session, user: User, settings: Settings, family: str | None = None
) -> TokenPair:
    """An access and a refresh token of one family: a new one at sign-in, the refreshed
    token's own at a refresh."""
    family = family or secrets.token_hex(16)
    access = issue_token(
        session,
        user,
        TokenKind.ACCESS,
        lifetime=timedelta(minutes=settings.access_token_minutes),
        family=family,
    )
    refresh = issue_token(
        session,
        user,
        TokenKind.REFRESH,
        lifetime=timedelta(days=settings.refresh_token_days),
        family=family,
    )
    return TokenPair(access.secret, refresh.secret, settings.access_token_minutes * 60)


def verify_credentials(
    session: Session,
    *,
    passwords: Passwords,
    limiter: LoginLimiter,
    account_name: str,
    email: str,
    password: str,
    client: str | None,
    refused_domains: Collection[str],
) -> User:
    """The active user with this password, or Unauthorized. One vague error for every
    failure, so the answer does not reveal which accounts or emails exist; failures
    count towards the rate limits (429 while over them). An address on a refused domain
    is InvalidInput, whoever holds it (the answer depends on the address alone)."""
    key = email_key(email, refused_domains)
    limiter.ensure_allowed(account_name, key, client)
    user = session.scalar(
        select(User)
        .join(Account, Account.id == User.account_id)
        .where(Account.name_key == account_name.lower(), User.email_key == key)
    )
    ok = passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        limiter.record_failure(account_name, key, client)
        raise Unauthorized("The account, email or password is not correct.")
    limiter.record_success(account_name, key, client)
    ensure_password_sign_in_allowed(session, user)
    return user


def login(
    session: Session,
    *,
    passwords: Passwords,
    limiter: LoginLimiter,
    settings: Settings,
    account_name: str,
    email: str,
    password: str,
    client: str | None,
) -> TokenPair:
    """Check the password and issue an access and a refresh token."""
    user = verify_credentials(
        session,
        passwords=passwords,
        limiter=limiter,
        account_name=account_name,
        email=email,
        password=password,
        client=client,
        refused_domains=settings.refused_email_domains,
    )
    return issue_session_tokens(session, user, settings)


def refresh(session: Session, refresh_token: str, settings: Settings) -> TokenPair:
    """Trade a refresh token for a new pair of its family; the old refresh token is used
    up (kept, marked used). Using a used one again means two parties hold it: every
    token of its family (the pairs issued from its first use included) is revoked, that
    revocation committed, and Unauthorized raised."""
    token = session.scalar(
        select(Token).where(
            Token.token_hash == hash_secret(refresh_token), Token.kind == TokenKind.REFRESH.value
        )
    )
    if token is None or _expired(token.expires_at):
        raise Unauthorized("The refresh token is not valid; sign in again.")
    user = session.get(User, token.user_id)
    # Marked by a statement that says whether it marked: of two racing refreshes with one
    # token, the one that queued behind the other's finds it used, and that is a reuse.
    used = session.scalar(
        update(Token)
        .where(Token.id == token.id, Token.used_at.is_(None))
        .values(used_at=utcnow())
        .returning(Token.id)
        .execution_options(synchronize_session=False)
    )
    if used is None:
        _revoke_family(session, token)
        session.commit()  # the revocation stands, although the request fails
        raise Unauthorized(
            "This refresh token was already used: every token of its sign-in has been "
            "revoked. Sign in again."
        )
    if user is None or not user.is_active:
        raise Unauthorized("The refresh token is not valid; sign in again.")
    return issue_session_tokens(session, user, settings, family=token.family)


def _revoke_family(session: Session, token: Token) -> None:
    """Delete every token of `token`'s family, each dropped from the caller caches."""
    if token.family is None:
        family_ids = [token.id]
    else:
        family_ids = list(
            session.scalars(
                select(Token.id).where(
                    Token.account_id == token.account_id, Token.family == token.family
                )
            )
        )
    session.execute(delete(Token).where(Token.id.in_(family_ids)))
    for token_id in family_ids:
        mark_changed(session, token.account_id, "token", token_id)
    log.warning(
        "a used refresh token of user %s was presented again; its family of %d tokens is revoked",
        token.user_id,
        len(family_ids),
    )


def _check_token_limits(name: str, expires_in_days: int | None, settings: Settings) -> None:
    if len(name) > MAX_TOKEN_NAME:
        raise InvalidInput(
            f"The name must be at most {MAX_TOKEN_NAME} characters long.", field="name"
        )
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            f"An API token expires after 1 to {MAX_TOKEN_DAYS} days, or never.",
            field="expires_in_days",
        )
    limit = settings.api_token_max_days
    if limit is not None and (expires_in_days is None or expires_in_days > limit):
        raise InvalidInput(
            f"API tokens on this installation must expire within {limit} days.",
            field="expires_in_days",
        )


def _token_space_ids(session: Session, access: Access, names: list[str]) -> list[int]:
    """The ids of the spaces named. A space the user cannot see is answered as unknown
    (rule 3); one they see but their narrowed token does not is refused later (403)."""
    caller = access.caller
    space_ids = []
    for name in names:
        space = find_space(session, caller.account_id, name)
        if space is None or not access.index.can_see_space(caller.user_id, space.id):
            raise InvalidInput(f"There is no space named '{name}'.")
        space_ids.append(space.id)
    return space_ids


def create_api_token(
    session: Session,
    access: Access,
    settings: Settings,
    *,
    name: str,
    expires_in_days: int | None,
    permissions: list[Permission] | None,
    spaces: list[str] | None,
) -> IssuedToken:
    """A long-lived API token of the caller, optionally narrowed to `permissions` and to
    the spaces named in `spaces` (rule 8). Raises InvalidInput (422) for a space the
    caller cannot see, a name longer than MAX_TOKEN_NAME, an expiry outside 1 to
    MAX_TOKEN_DAYS days or beyond the installation's `api_token_max_days`; Forbidden
    (403) when the caller's own token is narrowed further than the one asked for."""
    caller = access.caller
    name = name.strip()
    space_ids = _token_space_ids(session, access, spaces) if spaces is not None else None
    _check_token_limits(name, expires_in_days, settings)
    _ensure_within_caller_token(caller, permissions, space_ids)
    user = session.get(User, caller.user_id)
    assert user is not None, "an authenticated caller's user exists"
    issued = issue_token(
        session,
        user,
        TokenKind.API,
        lifetime=timedelta(days=expires_in_days) if expires_in_days else None,
        name=name,
        permissions=[p.value for p in permissions] if permissions is not None else None,
        space_ids=space_ids,
    )
    audit.record(
        session,
        caller.actor,
        "token.create",
        target_type="token",
        target=name or str(issued.token.id),
        after={"id": issued.token.id, "expires_at": _iso(issued.token.expires_at)},
    )
    return issued


def start_console_session(session: Session, user: User, settings: Settings) -> str:
    """A session token for the console's cookie; revoked with the user's other tokens."""
    issued = issue_token(
        session, user, TokenKind.SESSION, lifetime=timedelta(hours=settings.console_session_hours)
    )
    return issued.secret


def end_console_session(session: Session, secret: str) -> None:
    """Sign out: the session token stops working at once (in every process)."""
    ended = session.execute(
        delete(Token)
        .where(Token.token_hash == hash_secret(secret), Token.kind == TokenKind.SESSION.value)
        .returning(Token.account_id, Token.id)
    ).first()
    if ended is not None:
        mark_changed(session, ended.account_id, "token", ended.id)


def _ensure_within_caller_token(
    caller: Caller, permissions: list[Permission] | None, space_ids: list[int] | None
) -> None:
    """A narrowed token may only create tokens narrowed at least as far (rule 8):
    otherwise narrowing could be undone by minting an unnarrowed token with it."""
    if caller.token_mask is not None and (
        permissions is None or mask_of(permissions) & ~caller.token_mask
    ):
        raise Forbidden("This token is narrowed; it cannot create a token with more permissions.")
    if caller.token_space_ids is not None and (
        space_ids is None or not caller.token_space_ids.issuperset(space_ids)
    ):
        raise Forbidden("This token is narrowed; it cannot create a token for more spaces.")


def _narrowed(caller: Caller) -> bool:
    return caller.token_mask is not None or caller.token_space_ids is not None


def list_api_tokens(
    session: Session, caller: Caller, *, limit: int | None = None, after_id: int | None = None
) -> list[Token]:
    """The caller's API tokens by id (a page of `limit` after `after_id`, when given).
    Raises Forbidden (403) for a narrowed token: what it was narrowed to must not be
    undone by managing its user's other tokens."""
    if _narrowed(caller):
        raise Forbidden(
            "This token is narrowed; it cannot list its user's tokens. Use a token that "
            "is not narrowed, or the console."
        )
    statement = (
        select(Token)
        .where(Token.user_id == caller.user_id, Token.kind == TokenKind.API.value)
        .options(selectinload(Token.space_rows))
        .order_by(Token.id)
    )
    if after_id is not None:
        statement = statement.where(Token.id > after_id)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def revoke_api_token(session: Session, caller: Caller, token_id: int) -> None:
    """Raises NotFound (404) unless `token_id` is one of the caller's API tokens;
    Forbidden (403) when a narrowed token asks to revoke another token than itself."""
    if _narrowed(caller) and token_id != caller.token_id:
        raise Forbidden(
            "This token is narrowed; it can revoke itself, not its user's other tokens."
        )
    token = session.scalar(
        select(Token).where(
            Token.id == token_id, Token.user_id == caller.user_id, Token.kind == TokenKind.API.value
        )
    )
    if token is None:
        raise NotFound(f"You have no API token with id {token_id}.")
    session.delete(token)
    mark_changed(session, token.account_id, "token", token.id)  # its cached caller goes
    audit.record(
        session,
        caller.actor,
        "token.revoke",
        target_type="token",
        target=token.name or str(token.id),
        before={"id": token.id},
    )


def revoke_all_for_user(session: Session, user_id: int) -> None:
    """Rule 6: every session and API token of the user stops working at once. Runs when
    users tell `USER_DEACTIVATED` (the runtime wires it; a removed user's tokens go with
    the user row)."""
    session.execute(delete(Token).where(Token.user_id == user_id))


def _expired(expires_at: datetime | None) -> bool:
    return expires_at is not None and expires_at <= utcnow()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
