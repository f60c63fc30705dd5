"""Enforced single sign-on: password sign-in stays open to the break-glass Account Admin
only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from spacegate.errors import Unauthorized
from spacegate.sso.models import IdentityProvider
from spacegate.users.models import User


class SingleSignOnRequired(Unauthorized):
    name = "SingleSignOnRequired"

    def headers(self) -> dict[str, str]:
        return {}


def ensure_password_sign_in_allowed(session: Session, user: User) -> None:
    """SingleSignOnRequired (401) when the user's account enforces single sign-on and
    the user is not its break-glass Account Admin. Call it once the password is known
    to be right, so that the answer reveals nothing to someone guessing."""
    provider = session.get(IdentityProvider, user.account_id)
    if provider is not None and provider.enforced and provider.break_glass_user_id != user.id:
        raise SingleSignOnRequired(
            "This account signs in through its identity provider; use Sign in with SSO."
        )
