"""Changing a password (signed in, with the current one) and resetting a forgotten one
by email (a single-use link that expires).

Either way the user's other sign-ins end: console sessions, access and refresh tokens
are revoked (every one on a reset; all but the caller's own sign-in on a change). API
tokens are kept: they are credentials of their own, made and revoked on purpose, which
automation depends on; a user who fears one leaked revokes it. Asking for a reset
answers the same whether or not the address has an account, and sends at most one
link per address per minute.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from html import escape

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from spacegate.accounts.models import Account
from spacegate.audit import service as audit
from spacegate.auth.models import PasswordReset, Token, TokenKind
from spacegate.auth.ratelimit import LoginLimiter
from spacegate.crypto import SecretBox, hash_secret, new_secret
from spacegate.db import utcnow
from spacegate.errors import Forbidden, InvalidInput
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Actor, Caller
from spacegate.mail import outbox
from spacegate.names import email_key
from spacegate.settings import Settings
from spacegate.users.models import User
from spacegate.users.passwords import Passwords, check_password_policy

log = logging.getLogger(__name__)

SIGN_IN_KINDS = (TokenKind.SESSION.value, TokenKind.ACCESS.value, TokenKind.REFRESH.value)
RESEND_AFTER = timedelta(minutes=1)
RESET_PATH = "/resetpassword"


def change_password(
    session: Session,
    caller: Caller,
    passwords: Passwords,
    limiter: LoginLimiter,
    *,
    current_password: str,
    new_password: str,
) -> int:
    """Set a new password after checking the current one; the caller's other sign-ins
    end (answers how many tokens were revoked). Raises Forbidden (403) for a narrowed
    token or a user without a password (single sign-on only), InvalidInput (422) for a
    wrong current password (counted as a failed sign-in, 429 past the limit) or a weak
    new one."""
    if caller.token_mask is not None or caller.token_space_ids is not None:
        raise Forbidden("This token is narrowed; it cannot change its user's password.")
    user = session.get(User, caller.user_id)
    assert user is not None, "an authenticated caller's user exists"
    if user.password_hash is None:
        raise Forbidden("You have no password here: you sign in with single sign-on.")
    limiter.ensure_allowed(caller.account_name, user.email_key, caller.client_address)
    if not passwords.verify(user.password_hash, current_password):
        limiter.record_failure(caller.account_name, user.email_key, caller.client_address)
        raise InvalidInput("The current password is not correct.", field="current_password")
    check_password_policy(new_password, email=user.email)
    user.password_hash = passwords.hash(new_password)
    keep = _family_of(session, caller.token_id)
    revoked = _end_sign_ins(session, user, keep_token=caller.token_id, keep_family=keep)
    audit.record(
        session,
        caller.actor,
        "user.password_change",
        target_type="user",
        target=user.email,
        after={"sign_ins_ended": revoked},
    )
    return revoked


def request_reset(
    session: Session,
    box: SecretBox,
    settings: Settings,
    *,
    account_name: str,
    email: str,
    client: str | None,
) -> None:
    """Email a reset link to the address, if it is an active user's of the account with
    a password; otherwise do nothing. Raises no domain error for an unknown address (the
    answer must not tell whether it exists); InvalidInput only for a malformed one."""
    try:
        key = email_key(email, settings.refused_email_domains)
    except InvalidInput:
        return
    user = session.scalar(
        select(User)
        .join(Account, Account.id == User.account_id)
        .where(Account.name_key == account_name.strip().lower(), User.email_key == key)
    )
    if user is None or not user.is_active or user.password_hash is None:
        return
    now = utcnow()
    recent = session.scalar(
        select(PasswordReset.id).where(
            PasswordReset.user_id == user.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.created_at > now - RESEND_AFTER,
        )
    )
    if recent is not None:
        return  # one link a minute: the address cannot be flooded through us
    secret = new_secret()
    session.add(
        PasswordReset(
            account_id=user.account_id,
            user_id=user.id,
            token_hash=hash_secret(secret),
            created_at=now,
            expires_at=now + timedelta(minutes=settings.password_reset_minutes),
        )
    )
    link = f"{settings.base_url()}{RESET_PATH}?token={secret}"
    minutes = settings.password_reset_minutes
    outbox.enqueue(
        session,
        box,
        outbox.Mail(
            recipient=user.email,
            subject=f"Reset your spacegate password ({account_name})",
            text=(
                f"Someone (we hope you) asked to reset the password of {user.email} in "
                f"the spacegate account {account_name}.\n\nChoose a new password here "
                f"within {minutes} minutes:\n\n{link}\n\nIf it was not you, ignore this "
                "message: your password stays as it is.\n"
            ),
            html=(
                f"<p>Someone (we hope you) asked to reset the password of "
                f"{escape(user.email)} in the spacegate account {escape(account_name)}.</p>"
                f'<p><a href="{escape(link)}">Choose a new password</a> within {minutes} '
                "minutes.</p><p>If it was not you, ignore this message: your password "
                "stays as it is.</p>"
            ),
        ),
        account_id=user.account_id,
    )
    audit.record(
        session,
        Actor(user.account_id, user.email, client),
        "user.password_reset_requested",
        target_type="user",
        target=user.email,
    )


def reset_password(
    session: Session, passwords: Passwords, *, token: str, new_password: str, client: str | None
) -> User:
    """Set a new password with a reset link's token, which is then used up; every
    sign-in of the user ends. Raises InvalidInput (422) for a token that is unknown,
    used or expired, or a weak password (the token stays usable then)."""
    reset = session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == hash_secret(token.strip()))
    )
    user = session.get(User, reset.user_id) if reset is not None else None
    if (
        reset is None
        or user is None
        or reset.used_at is not None
        or reset.expires_at <= utcnow()
        or not user.is_active
    ):
        raise InvalidInput(
            "This password reset link is not valid (used, expired or mistyped); ask for a new one.",
            field="token",
        )
    check_password_policy(new_password, email=user.email)
    user.password_hash = passwords.hash(new_password)
    reset.used_at = utcnow()
    session.execute(
        delete(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.id != reset.id)
    )
    revoked = _end_sign_ins(session, user, keep_token=None, keep_family=None)
    audit.record(
        session,
        Actor(user.account_id, user.email, client),
        "user.password_reset",
        target_type="user",
        target=user.email,
        after={"sign_ins_ended": revoked},
    )
    return user


def _family_of(session: Session, token_id: int) -> str | None:
    return session.scalar(select(Token.family).where(Token.id == token_id))


def _end_sign_ins(
    session: Session, user: User, *, keep_token: int | None, keep_family: str | None
) -> int:
    """Revoke the user's sessions, access and refresh tokens (not API tokens), but the
    token `keep_token` and its family; each drops out of the caller caches."""
    tokens = session.execute(
        select(Token.id, Token.family).where(
            Token.user_id == user.id, Token.kind.in_(SIGN_IN_KINDS)
        )
    ).all()
    ended = [
        token_id
        for token_id, family in tokens
        if token_id != keep_token and (keep_family is None or family != keep_family)
    ]
    if ended:
        session.execute(delete(Token).where(Token.id.in_(ended)))
    for token_id in ended:
        mark_changed(session, user.account_id, "token", token_id)
    return len(ended)
