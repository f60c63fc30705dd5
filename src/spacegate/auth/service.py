"""Sign-in, token issue and revocation, and turning a bearer secret back into a caller."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from spacegate.accounts.models import Account
from spacegate.audit import service as audit
from spacegate.auth.models import BEARER_KINDS, Token, TokenKind
from spacegate.auth.passwords import Passwords
from spacegate.auth.ratelimit import LoginLimiter
from spacegate.auth.secrets import hash_secret, new_secret
from spacegate.authz import Permission
from spacegate.authz.masks import mask_of
from spacegate.db import after_outer_commit, utcnow
from spacegate.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from spacegate.grants.context import Caller
from spacegate.settings import Settings
from spacegate.sso.enforcement import ensure_password_sign_in_allowed
from spacegate.users.models import User

# Refresh a token's last-used time at most this often: not a write on every request.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


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
) -> IssuedToken:
    secret = new_secret()
    token = Token(
        account_id=user.account_id,
        user_id=user.id,
        kind=kind.value,
        name=name,
        token_hash=hash_secret(secret),
        expires_at=utcnow() + lifetime if lifetime else None,
        permissions=permissions,
        space_ids=space_ids,
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def issue_session_tokens(session: Session, user: User, settings: Settings) -> TokenPair:
    access = issue_token(
        session, user, TokenKind.ACCESS, lifetime=timedelta(minutes=settings.access_token_minutes)
    )
    refresh = issue_token(
        session, user, TokenKind.REFRESH, lifetime=timedelta(days=settings.refresh_token_days)
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
) -> User:
    """The active user with this password, or Unauthorized. One vague error for every
    failure, so the answer does not reveal which accounts or emails exist; failures
    count towards the rate limits (429 while over them)."""
    limiter.ensure_allowed(account_name, email, client)
    user = session.scalar(
        select(User)
        .join(Account, Account.id == User.account_id)
        .where(Account.name_key == account_name.lower(), User.email_key == email.lower())
    )
    ok = passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        limiter.record_failure(account_name, email, client)
        raise Unauthorized("The account, email or password is not correct.")
    limiter.record_success(account_name, email)
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
    )
    return issue_session_tokens(session, user, settings)


def refresh(session: Session, refresh_token: str, settings: Settings) -> TokenPair:
    """Trade a refresh token for a new pair; the old refresh token is used up."""
    token = session.scalar(
        select(Token).where(
            Token.token_hash == hash_secret(refresh_token), Token.kind == TokenKind.REFRESH.value
        )
    )
    if token is None or _expired(token.expires_at):
        raise Unauthorized("The refresh token is not valid; sign in again.")
    user = session.get(User, token.user_id)
    # Deleted by a statement that says whether it deleted: of two racing refreshes with
    # one token, the one that queued behind the other's delete finds nothing and fails.
    used = session.scalar(delete(Token).where(Token.id == token.id).returning(Token.id))
    if used is None or user is None or not user.is_active:
        raise Unauthorized("The refresh token is not valid; sign in again.")
    return issue_session_tokens(session, user, settings)


def authenticate(
    session: Session, secret: str, client: str | None, *, kinds: frozenset[str] = BEARER_KINDS
) -> Caller:
    """The caller behind a secret of one of `kinds`, or Unauthorized."""
    row = session.execute(
        select(Token, User, Account.name)
        .join(User, User.id == Token.user_id)
        .join(Account, Account.id == Token.account_id)
        .where(Token.token_hash == hash_secret(secret))
    ).first()
    if row is None:
        raise Unauthorized("The token is not valid; sign in again.")
    token, user, account_name = row
    if token.kind == TokenKind.REFRESH.value:
        raise Unauthorized(
            "A refresh token cannot be used to call the API; trade it for an access token."
        )
    if token.kind not in kinds:
        raise Unauthorized("This kind of token is not accepted here; sign in again.")
    if _expired(token.expires_at):
        raise Unauthorized("The token has expired; sign in again.")
    if not user.is_active:
        raise Unauthorized("This user is deactivated.")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        _record_use_at_commit(session, token, now)
    return Caller(
        user_id=user.id,
        account_id=user.account_id,
        account_name=account_name,
        email=user.email,
        token_id=token.id,
        token_kind=token.kind,
        client_address=client,
        token_mask=mask_of(Permission(p) for p in token.permissions)
        if token.permissions is not None
        else None,
        token_space_ids=frozenset(token.space_ids) if token.space_ids is not None else None,
    )


def _record_use_at_commit(session: Session, token: Token, now: datetime) -> None:
    """Write the token's last use in a transaction of its own, once the request's has
    committed.

    Inside the request's transaction the UPDATE would hold the token row's lock for the
    whole request (on PostgreSQL, a deadlock with a concurrent deactivation that deletes
    the user's tokens while holding the account lock), and would turn SQLite read
    requests into writers that fail when another write committed first. Afterwards,
    with no lock held, it is a short write of its own; a token deleted meanwhile is
    simply not updated, and a failure only loses a timestamp.
    """
    set_committed_value(token, "last_used_at", now)  # what this request itself reads
    token_id = token.id
    bind = session.get_bind()

    def write() -> None:
        try:
            with Session(bind) as own, own.begin():
                own.execute(
                    update(Token).where(Token.id == token_id).values(last_used_at=now),
                    execution_options={"synchronize_session": False},
                )
        except SQLAlchemyError:
            log.warning("could not record the use of token %s", token_id, exc_info=True)

    after_outer_commit(session, write)


def create_api_token(
    session: Session,
    caller: Caller,
    settings: Settings,
    *,
    name: str,
    expires_in_days: int | None,
    permissions: list[Permission] | None,
    space_ids: list[int] | None,
) -> IssuedToken:
    limit = settings.api_token_max_days
    if limit is not None and (expires_in_days is None or expires_in_days > limit):
        raise InvalidInput(
            f"API tokens on this installation must expire within {limit} days.",
            field="expires_in_days",
        )
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
    session.execute(
        delete(Token).where(
            Token.token_hash == hash_secret(secret), Token.kind == TokenKind.SESSION.value
        )
    )


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


def list_api_tokens(session: Session, caller: Caller) -> list[Token]:
    return list(
        session.scalars(
            select(Token)
            .where(Token.user_id == caller.user_id, Token.kind == TokenKind.API.value)
            .order_by(Token.id)
        )
    )


def revoke_api_token(session: Session, caller: Caller, token_id: int) -> None:
    token = session.scalar(
        select(Token).where(
            Token.id == token_id, Token.user_id == caller.user_id, Token.kind == TokenKind.API.value
        )
    )
    if token is None:
        raise NotFound(f"You have no API token with id {token_id}.")
    session.delete(token)
    audit.record(
        session,
        caller.actor,
        "token.revoke",
        target_type="token",
        target=token.name or str(token.id),
        before={"id": token.id},
    )


def revoke_all_for_user(session: Session, user_id: int) -> None:
    """Rule 6: every session and API token of the user stops working at once."""
    session.execute(delete(Token).where(Token.user_id == user_id))


def _expired(expires_at: datetime | None) -> bool:
    return expires_at is not None and expires_at <= utcnow()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
