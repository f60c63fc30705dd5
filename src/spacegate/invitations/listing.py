"""Listing invitations, newest first, with their status and the delivery of their
latest email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.accounts.models import Account
from spacegate.crypto import hash_secret
from spacegate.db import utcnow
from spacegate.invitations.models import Invitation, InvitationState
from spacegate.invitations.terms import SpaceGrant, terms_of
from spacegate.mail.models import OutboxMessage


@dataclass(frozen=True)
class InvitationView:
    invitation: Invitation
    account_role: str
    spaces: list[SpaceGrant]
    status: str
    delivery_status: str | None
    last_error: str | None


def status_of(invitation: Invitation, now: datetime | None = None) -> str:
    if invitation.state == InvitationState.PENDING.value and invitation.expires_at <= (
        now or utcnow()
    ):
        return "expired"
    return invitation.state


@dataclass(frozen=True)
class InvitationPage:
    views: list[InvitationView]
    next_cursor_id: int | None
    """The id to continue below, when more invitations may follow."""


def list_invitations(
    session: Session,
    account_id: int,
    *,
    status: str | None,
    space_name: str | None,
    limit: int = 500,
    before_id: int | None = None,
) -> InvitationPage:
    """Newest first. `status` is filtered in SQL; `space_name` (a space's current name,
    or the one it was invited to once deleted) after, so a page may hold fewer than
    `limit` even when more follow."""
    now = utcnow()
    query = select(Invitation).where(Invitation.account_id == account_id)
    if status == "expired":
        query = query.where(
            Invitation.state == InvitationState.PENDING.value, Invitation.expires_at <= now
        )
    elif status == InvitationState.PENDING.value:
        query = query.where(
            Invitation.state == InvitationState.PENDING.value, Invitation.expires_at > now
        )
    elif status:
        query = query.where(Invitation.state == status)
    if before_id is not None:
        query = query.where(Invitation.id < before_id)
    invitations = list(session.scalars(query.order_by(Invitation.id.desc()).limit(limit)))
    latest: dict[int, OutboxMessage] = {}
    if invitations:
        for message in session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.invitation_id.in_([i.id for i in invitations]))
            .order_by(OutboxMessage.id)
        ):
            assert message.invitation_id is not None
            latest[message.invitation_id] = message
    terms = terms_of(session, account_id, invitations)
    views = []
    for invitation in invitations:
        granted = terms[invitation.id]
        if space_name and not any(
            g.space_name.lower() == space_name.strip().lower() for g in granted.spaces
        ):
            continue
        newest = latest.get(invitation.id)
        views.append(
            InvitationView(
                invitation,
                granted.account_role,
                granted.spaces,
                status_of(invitation, now),
                newest.status if newest else None,
                newest.last_error if newest else None,
            )
        )
    more = len(invitations) == limit
    return InvitationPage(views, invitations[-1].id if more else None)


def pending_invitations(session: Session, account_id: int) -> list[Invitation]:
    """The account's pending, unexpired invitations, by email."""
    return list(
        session.scalars(
            select(Invitation)
            .where(
                Invitation.account_id == account_id,
                Invitation.state == InvitationState.PENDING.value,
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.email_key)
        )
    )


LinkState = Literal["pending", "accepted", "revoked", "expired", "unknown"]


def link_state(session: Session, secret: str) -> tuple[LinkState, str | None]:
    """What became of an invitation link, for the page it opens: `pending` (it works),
    `accepted`, `revoked`, `expired`, or `unknown`: never valid, or replaced (a resend
    or a new invitation gives the address a new link, and the old one no longer opens).
    With the account's name when the link is known."""
    row = session.execute(
        select(Invitation, Account.name)
        .join(Account, Account.id == Invitation.account_id)
        .where(Invitation.secret_hash == hash_secret(secret))
    ).first()
    if row is None:
        return "unknown", None
    invitation, account_name = row
    states: dict[str, LinkState] = {
        "pending": "pending",
        "accepted": "accepted",
        "revoked": "revoked",
        "expired": "expired",
    }
    return states.get(status_of(invitation), "unknown"), account_name
