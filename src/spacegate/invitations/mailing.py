"""An invitation's email: queued through the outbox in the invitation's transaction, with
a fresh secret link each time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from spacegate.crypto import SecretBox, hash_secret, new_secret
from spacegate.db import utcnow
from spacegate.grants.context import Access
from spacegate.invitations.models import Invitation
from spacegate.invitations.terms import Terms
from spacegate.mail import outbox
from spacegate.mail.render import render
from spacegate.settings import Settings
from spacegate.users import service as users


@dataclass
class Mailing:
    """What an invitation email needs besides the invitation itself."""

    box: SecretBox
    settings: Settings
    inviter_name: str
    account_name: str


def mailing_for(session: Session, access: Access, box: SecretBox, settings: Settings) -> Mailing:
    """The inviter's side of an invitation email: their name and account."""
    inviter = users.get_user(session, access.caller.account_id, access.caller.email)
    return Mailing(box, settings, inviter.display_name, access.caller.account_name)


def send(session: Session, mailing: Mailing, invitation: Invitation, terms: Terms) -> None:
    """Give the invitation a fresh secret and expiry, and queue its email. Any earlier
    unsent email of it is cancelled: its link no longer works. Raises no domain error."""
    secret = new_secret()
    now = utcnow()
    invitation.secret_hash = hash_secret(secret)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=mailing.settings.invitation_expiry_days)
    session.flush()
    outbox.cancel_pending(session, invitation.id)
    enqueue(session, mailing, invitation, terms, secret)


def enqueue(
    session: Session, mailing: Mailing, invitation: Invitation, terms: Terms, secret: str
) -> None:
    """Queue the invitation's email, with the link of `secret`."""
    mail = render(
        "invitation",
        recipient=invitation.email,
        subject=f"Welcome to {mailing.account_name} on spacegate",
        context={
            "inviter": mailing.inviter_name,
            "account_name": mailing.account_name,
            **terms.snapshot(),
            "link": f"{mailing.settings.base_url()}/signup?secret={secret}",
            "expires_at": invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        },
    )
    outbox.enqueue(
        session, mailing.box, mail, account_id=invitation.account_id, invitation_id=invitation.id
    )
