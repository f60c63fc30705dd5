"""Invitations: invite by email with roles chosen up front, resend, revoke. Listing is
`listing.py`, accepting `acceptance.py`, the email `mailing.py`.

An invitation and its email are written in one transaction (the email through the
outbox), so an invitation is never lost because the mail server was down. A failure
for one address of a request leaves no trace of it, and the others still go through:
addresses are validated before anything is written, and those that can still fail
(applying roles to an existing user) are handled each in its own savepoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.authz import BuiltinRole, Level, Permission
from spacegate.crypto import hash_secret, new_secret
from spacegate.db import utcnow
from spacegate.errors import Conflict, DomainError, Forbidden, InvalidInput
from spacegate.grants.context import Access
from spacegate.invitations.mailing import Mailing, enqueue, send
from spacegate.invitations.models import Invitation, InvitationSpace, InvitationState
from spacegate.invitations.terms import SpaceGrant, Terms, terms_of
from spacegate.mail import outbox
from spacegate.names import clean_email, email_key
from spacegate.roles.service import (
    RoleRef,
    assigned_role,
    ensure_may_grant,
    resolve_role,
)
from spacegate.spaces import members as space_members
from spacegate.spaces import service as spaces
from spacegate.spaces.models import Space
from spacegate.users import service as users
from spacegate.users.models import User

MAX_EMAILS = 1000

Outcome = Literal["invited", "added", "refreshed", "revoked", "error"]


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
            email = clean_email(raw, mailing.settings.refused_email_domains, field="emails")
            if email.lower() in valid:
                raise InvalidInput(f"{email} is listed more than once.", field="emails")
        except DomainError as error:
            results[position] = AddressResult(raw, "error", error.message)
            continue
        valid[email.lower()] = (position, raw, email)

    account_id = access.caller.account_id
    known = users.users_by_email(session, account_id, list(valid))
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


def _grants(plan: _Plan) -> list[InvitationSpace]:
    return [
        InvitationSpace(
            space_id=space.id,
            space_name=space.name,
            role=role.builtin,
            custom_role_id=role.custom_id,
        )
        for space, role in plan.grants
    ]


def _plan_terms(plan: _Plan) -> Terms:
    return Terms(
        plan.account_role.name,
        [SpaceGrant(space.name, role.name) for space, role in plan.grants],
    )


def _apply_plan(invitation: Invitation, plan: _Plan) -> None:
    invitation.account_role = plan.account_role.builtin
    invitation.account_custom_role_id = plan.account_role.custom_id
    invitation.grants = _grants(plan)


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
            invited_by=access.caller.email,
            secret_hash=hash_secret(secret),
            state=InvitationState.PENDING.value,
            created_at=now,
            sent_at=now,
            expires_at=expires_at,
        )
        _apply_plan(invitation, plan)
        created.append((invitation, secret))
    session.add_all([invitation for invitation, _ in created])
    session.flush()  # one multi-row INSERT, for the ids the emails refer to
    terms = _plan_terms(plan)
    for invitation, secret in created:
        enqueue(session, mailing, invitation, terms, secret)
        audit.record(
            session,
            access.caller.actor,
            "invitation.create",
            target_type="invitation",
            target=invitation.email,
            after=terms.snapshot(),
        )
    session.flush()
    return [invitation for invitation, _ in created]


def ensure_may_manage_invitation(session: Session, access: Access, invitation: Invitation) -> None:
    """What creating the invitation needed, to refresh, resend or revoke it: granting its
    account role (Admin only by holders of INVITE_ACCOUNT_ADMINS), and MANAGE_SPACE_USERS
    plus granting its role in each of its spaces (rule 4). Otherwise a weaker inviter
    could downgrade or revoke a stronger one's invitation. Raises Forbidden (403)."""
    role = assigned_role(session, invitation.account_role, invitation.account_custom_role_id)
    who = f"The invitation of {invitation.email}"
    try:
        if role is not None:
            ensure_may_grant(access, role, None)
        for grant in invitation.grants:
            if grant.space_id is None:
                continue
            if not access.has(Permission.MANAGE_SPACE_USERS, grant.space_id):
                raise Forbidden(f"{who} gives roles in spaces where you cannot.")
            space_role = assigned_role(session, grant.role, grant.custom_role_id)
            if space_role is not None:
                ensure_may_grant(access, space_role, grant.space_id)
    except Forbidden as refusal:
        if refusal.message.startswith(who):
            raise
        raise Forbidden(
            f"{who} grants more than you may grant; only someone who could have sent it "
            "can change, resend or revoke it."
        ) from None


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
    and the new: `merge_plan`), a new link, the email again. Raises Forbidden (403)
    unless the caller could have sent the pending one."""
    ensure_may_manage_invitation(session, access, invitation)
    before = terms_of(session, invitation.account_id, [invitation])[invitation.id]
    if merge:
        merge_plan(invitation, plan)
    else:
        _apply_plan(invitation, plan)
    invitation.invited_by = access.caller.email
    terms = _plan_terms(plan)
    send(session, mailing, invitation, terms)
    audit.record(
        session,
        access.caller.actor,
        "invitation.refresh",
        target_type="invitation",
        target=invitation.email,
        before=before.snapshot(),
        after=terms.snapshot(),
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
        if not space_members.is_member(session, space, user):
            # `invite` checked the address against the refused domains already.
            space_members.add_member(
                session, access, space, email=user.email, space_role=role.name, refused_domains=()
            )
        else:
            space_members.set_member_role(session, access, space, user.email, role.name)


# -- resending, revoking ------------------------------------------------------------------


def _invitations_for(session: Session, account_id: int, email: str) -> Invitation | None:
    """The address's most recent invitation."""
    return session.scalar(
        select(Invitation)
        .where(Invitation.account_id == account_id, Invitation.email_key == email_key(email))
        .order_by(Invitation.id.desc())
        .limit(1)
    )


def resend(
    session: Session, access: Access, mailing: Mailing, emails: list[str]
) -> list[AddressResult]:
    """A new secret and expiry, and the email again, for pending or expired
    invitations. Raises no domain error: an address without one gets an `error` result."""
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
        try:
            ensure_may_manage_invitation(session, access, invitation)
        except Forbidden as refusal:
            results.append(AddressResult(invitation.email, "error", refusal.message))
            continue
        send(
            session,
            mailing,
            invitation,
            terms_of(session, invitation.account_id, [invitation])[invitation.id],
        )
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
    """End pending invitations: their links stop working, unsent emails are cancelled.
    Raises no domain error: an address without one, or whose invitation grants more
    than the caller may grant, gets an `error` result."""
    results = []
    for email in emails:
        invitation = _invitations_for(session, access.caller.account_id, email)
        if invitation is None or invitation.state != InvitationState.PENDING.value:
            results.append(AddressResult(email, "error", f"{email} has no pending invitation."))
            continue
        try:
            ensure_may_manage_invitation(session, access, invitation)
        except Forbidden as refusal:
            results.append(AddressResult(invitation.email, "error", refusal.message))
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


def merge_plan(invitation: Invitation, plan: _Plan) -> None:
    """A pending invitation's roles with those of a new one added: its account role
    unless the new one names one; its spaces, each with the new role where the new one
    names the space, and the new one's other spaces after them."""
    if plan.account_role_given:
        invitation.account_role = plan.account_role.builtin
        invitation.account_custom_role_id = plan.account_role.custom_id
    new = {grant.space_id: grant for grant in _grants(plan)}
    kept = [
        new.pop(grant.space_id)
        if grant.space_id in new
        else InvitationSpace(
            space_id=grant.space_id,
            space_name=grant.space_name,
            role=grant.role,
            custom_role_id=grant.custom_role_id,
        )
        for grant in invitation.grants
    ]
    invitation.grants = [*kept, *new.values()]
