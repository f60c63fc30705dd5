"""Invitations: invite by email with roles chosen up front, accept, list, resend, revoke.

An invitation and its email are written in one transaction (the email through the
outbox), so an invitation is never lost because the mail server was down. A failure
for one address of a request leaves no trace of it, and the others still go through:
addresses are validated before anything is written, and those that can still fail
(applying roles to an existing user) are handled each in its own savepoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.accounts.models import Account
from spacegate.audit import service as audit
from spacegate.auth.passwords import Passwords, check_password_policy
from spacegate.auth.secrets import hash_secret, new_secret
from spacegate.authz import BuiltinRole, Level, Permission
from spacegate.crypto import SecretBox
from spacegate.db import utcnow
from spacegate.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Access, Actor
from spacegate.invitations.models import Invitation, InvitationState
from spacegate.mail import outbox
from spacegate.mail.models import OutboxMessage
from spacegate.mail.render import render
from spacegate.names import clean_email
from spacegate.roles.service import RoleRef, ensure_may_grant, find_role, resolve_role
from spacegate.settings import Settings
from spacegate.spaces import service as spaces
from spacegate.spaces.models import Space, SpaceMembership
from spacegate.users import service as users
from spacegate.users.models import User, UserStatus

MAX_EMAILS = 1000

Outcome = Literal["invited", "added", "refreshed", "revoked", "error"]


@dataclass(frozen=True)
class SpaceGrant:
    space_name: str
    space_role: str


@dataclass(frozen=True)
class AddressResult:
    email: str
    result: Outcome
    message: str | None = None


@dataclass(frozen=True)
class _Plan:
    """The validated settings of one request, shared by all its addresses."""

    account_role: RoleRef
    account_role_given: bool
    grants: list[tuple[Space, RoleRef]]


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


# -- inviting --------------------------------------------------------------------------


def _plan(
    session: Session, access: Access, account_role: str | None, grants: list[SpaceGrant]
) -> _Plan:
    account_id = access.caller.account_id
    role = resolve_role(
        session, account_id, account_role or BuiltinRole.MEMBER.value, Level.ACCOUNT
    )
    ensure_may_grant(access, role, None)
    resolved: list[tuple[Space, RoleRef]] = []
    seen: set[int] = set()
    for grant in grants:
        space = spaces.find_space(session, account_id, grant.space_name)
        if space is None or not access.can_see_space(space.id):
            raise InvalidInput(f"There is no space named '{grant.space_name}'.")
        if space.id in seen:
            raise InvalidInput(f"The space '{space.name}' is listed twice.")
        seen.add(space.id)
        space_role = resolve_role(
            session, account_id, grant.space_role or BuiltinRole.SPACE_MEMBER.value, Level.SPACE
        )
        if not access.has(Permission.MANAGE_SPACE_USERS, space.id):
            raise Forbidden(f"You cannot give roles in space '{space.name}'.")
        ensure_may_grant(access, space_role, space.id)
        resolved.append((space, space_role))
    return _Plan(role, account_role is not None, resolved)


def invite(
    session: Session,
    access: Access,
    mailing: Mailing,
    *,
    emails: list[str],
    account_role: str | None,
    grants: list[SpaceGrant],
    merge: bool = False,
) -> list[AddressResult]:
    """Invite each address; one result per address, in the order given.

    An address with a pending invitation gets the new roles instead of its old ones, or,
    with `merge`, added to them (`merged_grants`): re-inviting then never narrows it.

    The addresses are validated first, and the users and pending invitations they match
    are read in one query each. An address of a user, or of a pending invitation, is
    handled in its own savepoint (applying roles to a user can fail for that user
    alone). The new invitations, which cannot fail once their address is valid, are
    written with their emails and audit events in a few multi-row statements, so a
    request of 1,000 addresses costs a handful of round trips, not thousands."""
    if not 1 <= len(emails) <= MAX_EMAILS:
        raise InvalidInput(f"Send between 1 and {MAX_EMAILS} email addresses.", field="emails")
    try:
        plan = _plan(session, access, account_role, grants)
    except DomainError as error:
        return [AddressResult(email, "error", error.message) for email in emails]

    results: list[AddressResult | None] = [None] * len(emails)
    valid: dict[str, tuple[int, str, str]] = {}  # email_key -> (position, raw, cleaned)
    for position, raw in enumerate(emails):
        try:
            email = clean_email(raw, field="emails")
            if email.lower() in valid:
                raise InvalidInput(f"{email} is listed more than once.", field="emails")
        except DomainError as error:
            results[position] = AddressResult(raw, "error", error.message)
            continue
        valid[email.lower()] = (position, raw, email)

    account_id = access.caller.account_id
    known = _users_by_key(session, account_id, list(valid))
    pending = _pending_by_key(session, account_id, list(valid))
    fresh: list[tuple[int, str]] = []
    for key, (position, raw, email) in valid.items():
        if key not in known and key not in pending:
            fresh.append((position, email))
            continue
        try:
            with session.begin_nested():
                outcome: Outcome
                if key in known:
                    _apply_to_existing_user(session, access, plan, known[key])
                    outcome = "added"
                else:
                    _refresh(session, access, mailing, plan, pending[key], merge=merge)
                    outcome = "refreshed"
            results[position] = AddressResult(email, outcome)
        except DomainError as error:
            results[position] = AddressResult(raw, "error", error.message)

    created = _create(session, access, mailing, plan, [email for _, email in fresh])
    for (position, _), invitation in zip(fresh, created, strict=True):
        results[position] = AddressResult(invitation.email, "invited")
    assert all(result is not None for result in results)
    return [result for result in results if result is not None]


_IN_CHUNK = 500  # keys per IN (...) list, well under every database's parameter limit


def _users_by_key(session: Session, account_id: int, keys: list[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        for user in session.scalars(
            select(User).where(User.account_id == account_id, User.email_key.in_(chunk))
        ):
            found[user.email_key] = user
    return found


def _pending_by_key(session: Session, account_id: int, keys: list[str]) -> dict[str, Invitation]:
    found: dict[str, Invitation] = {}
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        for invitation in session.scalars(
            select(Invitation).where(
                Invitation.account_id == account_id,
                Invitation.email_key.in_(chunk),
                Invitation.state == InvitationState.PENDING.value,
            )
        ):
            found[invitation.email_key] = invitation
    return found


def _grants(plan: _Plan) -> list[dict[str, Any]]:
    return [
        {"space_id": space.id, "space_name": space.name, "space_role": role.name}
        for space, role in plan.grants
    ]


def _create(
    session: Session, access: Access, mailing: Mailing, plan: _Plan, emails: list[str]
) -> list[Invitation]:
    """New invitations of addresses with neither a user nor a pending invitation, each
    with its email queued and its audit event, in the order given."""
    if not emails:
        return []
    now = utcnow()
    expires_at = now + timedelta(days=mailing.settings.invitation_expiry_days)
    created: list[tuple[Invitation, str]] = []
    for email in emails:
        secret = new_secret()
        invitation = Invitation(
            account_id=access.caller.account_id,
            email=email,
            email_key=email.lower(),
            account_role=plan.account_role.name,
            spaces=_grants(plan),
            invited_by=access.caller.email,
            secret_hash=hash_secret(secret),
            state=InvitationState.PENDING.value,
            created_at=now,
            sent_at=now,
            expires_at=expires_at,
        )
        created.append((invitation, secret))
    session.add_all([invitation for invitation, _ in created])
    session.flush()  # one multi-row INSERT, for the ids the emails refer to
    for invitation, secret in created:
        _enqueue(session, mailing, invitation, secret)
        audit.record(
            session,
            access.caller.actor,
            "invitation.create",
            target_type="invitation",
            target=invitation.email,
            after=_snapshot(invitation),
        )
    session.flush()
    return [invitation for invitation, _ in created]


def _refresh(
    session: Session,
    access: Access,
    mailing: Mailing,
    plan: _Plan,
    invitation: Invitation,
    *,
    merge: bool = False,
) -> None:
    """A pending invitation invited again: the new roles (or, with `merge`, the old ones
    and the new), a new link, the email again."""
    before = _snapshot(invitation)
    if merge:
        invitation.account_role, invitation.spaces = merged_grants(invitation, plan)
    else:
        invitation.account_role, invitation.spaces = plan.account_role.name, _grants(plan)
    invitation.invited_by = access.caller.email
    _send(session, mailing, invitation)
    audit.record(
        session,
        access.caller.actor,
        "invitation.refresh",
        target_type="invitation",
        target=invitation.email,
        before=before,
        after=_snapshot(invitation),
    )


def _apply_to_existing_user(session: Session, access: Access, plan: _Plan, user: User) -> None:
    """An address that already has a user: apply the roles directly, send nothing."""
    if not user.is_active:
        raise Conflict(
            f"{user.email} is a deactivated user of this account; reactivate them first."
        )
    current = user.account_role or user.account_custom_role_id
    if plan.account_role_given and current != plan.account_role.key:
        if not access.has(Permission.MANAGE_ACCOUNT_USERS):
            raise Forbidden(
                f"{user.email} is already a user, and you may not change account roles."
            )
        users.set_account_role(session, access, user.email, plan.account_role.name)
    for space, role in plan.grants:
        if session.get(SpaceMembership, (space.id, user.id)) is None:
            spaces.add_member(session, access, space, email=user.email, space_role=role.name)
        else:
            spaces.set_member_role(session, access, space, user.email, role.name)


def _send(session: Session, mailing: Mailing, invitation: Invitation) -> None:
    """Give the invitation a fresh secret and expiry, and queue its email. Any earlier
    unsent email of it is cancelled: its link no longer works."""
    secret = new_secret()
    now = utcnow()
    invitation.secret_hash = hash_secret(secret)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=mailing.settings.invitation_expiry_days)
    session.flush()
    outbox.cancel_pending(session, invitation.id)
    _enqueue(session, mailing, invitation, secret)


def _enqueue(session: Session, mailing: Mailing, invitation: Invitation, secret: str) -> None:
    """Queue the invitation's email, with the link of `secret`."""
    mail = render(
        "invitation",
        recipient=invitation.email,
        subject=f"Welcome to {mailing.account_name} on spacegate",
        context={
            "inviter": mailing.inviter_name,
            "account_name": mailing.account_name,
            "account_role": invitation.account_role,
            "spaces": invitation.spaces,
            "link": f"{mailing.settings.base_url()}/signup?secret={secret}",
            "expires_at": invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        },
    )
    outbox.enqueue(
        session, mailing.box, mail, account_id=invitation.account_id, invitation_id=invitation.id
    )


# -- reading, resending, revoking --------------------------------------------------------


@dataclass(frozen=True)
class InvitationView:
    invitation: Invitation
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
    """Newest first. `status` is filtered in SQL; `space_name` (kept in JSON) after, so
    a page may hold fewer than `limit` even when more follow."""
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
    views = []
    for invitation in invitations:
        if space_name and not any(
            g["space_name"].lower() == space_name.lower() for g in invitation.spaces
        ):
            continue
        newest = latest.get(invitation.id)
        views.append(
            InvitationView(
                invitation,
                status_of(invitation, now),
                newest.status if newest else None,
                newest.last_error if newest else None,
            )
        )
    more = len(invitations) == limit
    return InvitationPage(views, invitations[-1].id if more else None)


def _invitations_for(session: Session, account_id: int, email: str) -> Invitation | None:
    """The address's most recent invitation."""
    return session.scalar(
        select(Invitation)
        .where(Invitation.account_id == account_id, Invitation.email_key == email.strip().lower())
        .order_by(Invitation.id.desc())
        .limit(1)
    )


def resend(
    session: Session, access: Access, mailing: Mailing, emails: list[str]
) -> list[AddressResult]:
    """A new secret and expiry, and the email again, for pending or expired invitations."""
    results = []
    for email in emails:
        invitation = _invitations_for(session, access.caller.account_id, email)
        if invitation is None or invitation.state != InvitationState.PENDING.value:
            state = invitation.state if invitation else None
            message = f"{email} has no pending invitation" + (
                f" (it was {state})." if state else "."
            )
            results.append(AddressResult(email, "error", message))
            continue
        _send(session, mailing, invitation)
        audit.record(
            session,
            access.caller.actor,
            "invitation.resend",
            target_type="invitation",
            target=invitation.email,
            after={"expires_at": invitation.expires_at.isoformat()},
        )
        results.append(AddressResult(invitation.email, "refreshed"))
    return results


def revoke(session: Session, access: Access, emails: list[str]) -> list[AddressResult]:
    results = []
    for email in emails:
        invitation = _invitations_for(session, access.caller.account_id, email)
        if invitation is None or invitation.state != InvitationState.PENDING.value:
            results.append(AddressResult(email, "error", f"{email} has no pending invitation."))
            continue
        invitation.state = InvitationState.REVOKED.value
        invitation.revoked_at = utcnow()
        outbox.cancel_pending(session, invitation.id)
        audit.record(
            session,
            access.caller.actor,
            "invitation.revoke",
            target_type="invitation",
            target=invitation.email,
            before={"status": "pending"},
            after={"status": "revoked"},
        )
        results.append(AddressResult(invitation.email, "revoked"))
    return results


# -- accepting --------------------------------------------------------------------------


def open_invitation(session: Session, secret: str) -> tuple[Invitation, Account]:
    """The pending, unexpired invitation of a secret; NotFound once used, revoked or expired."""
    row = session.execute(
        select(Invitation, Account)
        .join(Account, Account.id == Invitation.account_id)
        .where(Invitation.secret_hash == hash_secret(secret))
    ).first()
    if row is None or status_of(row[0]) != InvitationState.PENDING.value:
        raise NotFound(
            "This invitation link is not valid: it was used, revoked, replaced or has expired."
        )
    invitation, account = row
    return invitation, account


@dataclass(frozen=True)
class Acceptance:
    user: User
    account: Account
    notes: list[str]


def accept(
    session: Session,
    passwords: Passwords,
    *,
    secret: str,
    first_name: str,
    last_name: str,
    password: str,
) -> Acceptance:
    invitation, account = open_invitation(session, secret)
    check_password_policy(password, email=invitation.email)
    if users.find_user(session, account.id, invitation.email) is not None:
        raise Conflict(f"{invitation.email} is already a user of {account.name}; sign in instead.")
    notes: list[str] = []
    role = find_role(session, account.id, invitation.account_role)
    if role is None or role.level is not Level.ACCOUNT:
        notes.append(
            f"The account role '{invitation.account_role}' no longer exists; you are a Member."
        )
        role = resolve_role(session, account.id, BuiltinRole.MEMBER.value, Level.ACCOUNT)
    user = User(
        account_id=account.id,
        email=invitation.email,
        email_key=invitation.email_key,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        password_hash=passwords.hash(password),
        account_role=role.builtin,
        account_custom_role_id=role.custom_id,
        status=UserStatus.ACTIVE.value,
    )
    session.add(user)
    session.flush()
    granted: list[dict[str, Any]] = []
    for grant in invitation.spaces:
        # A deleted space's id is set to None (`spaces.service._forget_space_id`).
        space = session.get(Space, grant["space_id"]) if grant["space_id"] is not None else None
        if space is None or space.account_id != account.id:
            notes.append(f"The space '{grant['space_name']}' was deleted; its role was skipped.")
            continue
        space_role = find_role(session, account.id, grant["space_role"])
        if space_role is None or space_role.level is not Level.SPACE:
            notes.append(
                f"The role '{grant['space_role']}' no longer exists; "
                f"space '{space.name}' was skipped."
            )
            continue
        session.add(
            SpaceMembership(
                space_id=space.id,
                user_id=user.id,
                role=space_role.builtin,
                custom_role_id=space_role.custom_id,
            )
        )
        granted.append({"space_name": space.name, "space_role": space_role.name})
    invitation.state = InvitationState.ACCEPTED.value
    invitation.accepted_at = utcnow()
    mark_changed(session, account.id)
    audit.record(
        session,
        Actor(account.id, user.email),
        "invitation.accept",
        target_type="invitation",
        target=user.email,
        after={"account_role": role.name, "spaces": granted, "skipped": notes},
    )
    return Acceptance(user, account, notes)


def _snapshot(invitation: Invitation) -> dict[str, Any]:
    return {
        "account_role": invitation.account_role,
        "spaces": [
            {"space_name": g["space_name"], "space_role": g["space_role"]}
            for g in invitation.spaces
        ],
    }


def merged_grants(invitation: Invitation, plan: _Plan) -> tuple[str, list[dict[str, Any]]]:
    """A pending invitation's roles with those of a new one added: its account role
    unless the new one names one; its spaces, each with the new role where the new one
    names the space, and the new one's other spaces after them."""
    account_role = plan.account_role.name if plan.account_role_given else invitation.account_role
    new = {grant["space_id"]: grant for grant in _grants(plan)}
    spaces = [new.pop(grant["space_id"], grant) for grant in invitation.spaces]
    return account_role, [*spaces, *new.values()]


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
