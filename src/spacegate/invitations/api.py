"""Invitations (`/api/accounts/invitations`) and sign-up (`/api/accounts/signup`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from spacegate.access.requires import Anyone, InviteUsers
from spacegate.auth.service import issue_session_tokens
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.invitations import acceptance, listing, mailing, service, terms
from spacegate.invitations.schemas import (
    AddressResultOut,
    EmailsRequest,
    InvitationOut,
    InviteRequest,
    InviteResponse,
    SignupInfo,
    SignupRequest,
    SignupResponse,
    SpaceRoleOut,
)
from spacegate.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor

router = APIRouter(prefix="/api/accounts", tags=["Invitations"])


def _results(results: list[service.AddressResult]) -> list[AddressResultOut]:
    return [AddressResultOut(email=r.email, result=r.result, message=r.message) for r in results]


@router.post("/invitations", summary="Invite people by email", response_model=InviteResponse)
def invite(
    body: InviteRequest, access: InviteUsers, session: SessionDep, runtime: RuntimeDep
) -> InviteResponse:
    """One result per address: `invited` (email queued), `added` (already a user of the
    account: the roles are applied, no email), `refreshed` (a pending invitation got the
    new roles and a new link), or `error` with a sentence. Failed addresses write
    nothing. Granting `Admin` needs INVITE_ACCOUNT_ADMINS; space roles need
    MANAGE_SPACE_USERS in the space; no role may exceed the inviter's own."""
    results = service.invite(
        session,
        access,
        mailing.mailing_for(session, access, runtime.box, runtime.settings),
        emails=body.emails,
        account_role=body.account_role,
        grants=[terms.SpaceGrant(s.space_name, s.space_role) for s in body.space_settings()],
    )
    count = {
        outcome: sum(1 for r in results if r.result == outcome)
        for outcome in ("invited", "added", "refreshed", "error")
    }
    return InviteResponse(
        results=_results(results),
        invited=count["invited"],
        added=count["added"],
        refreshed=count["refreshed"],
        failed=count["error"],
    )


@router.get("/invitations", summary="List invitations", response_model=list[InvitationOut])
def list_invitations(
    access: InviteUsers,
    session: SessionDep,
    response: Response,
    status: Annotated[Literal["pending", "expired", "accepted", "revoked"] | None, Query()] = None,
    space_name: Annotated[str | None, Query(max_length=200)] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> list[InvitationOut]:
    """Newest first, with the delivery status and last error of each one's latest email.
    When more follow, `X-Next-Cursor` holds the next page's cursor."""
    page = listing.list_invitations(
        session,
        access.caller.account_id,
        status=status,
        space_name=space_name,
        limit=limit,
        before_id=decode_cursor(cursor),
    )
    if page.next_cursor_id is not None:
        response.headers["X-Next-Cursor"] = encode_cursor(page.next_cursor_id)
    return [
        InvitationOut(
            email=view.invitation.email,
            status=view.status,
            account_role=view.account_role,
            spaces=[
                SpaceRoleOut(space_name=g.space_name, space_role=g.space_role) for g in view.spaces
            ],
            invited_by=view.invitation.invited_by,
            send_date=view.invitation.sent_at,
            expires_at=view.invitation.expires_at,
            accepted_at=view.invitation.accepted_at,
            delivery_status=view.delivery_status,
            last_error=view.last_error,
        )
        for view in page.views
    ]


@router.delete("/invitations", summary="Revoke invitations", response_model=list[AddressResultOut])
def revoke(body: EmailsRequest, access: InviteUsers, session: SessionDep) -> list[AddressResultOut]:
    """Their links stop working at once; unsent emails are not sent."""
    return _results(service.revoke(session, access, body.emails))


@router.post(
    "/invitations/resend", summary="Send invitations again", response_model=list[AddressResultOut]
)
def resend(
    body: EmailsRequest, access: InviteUsers, session: SessionDep, runtime: RuntimeDep
) -> list[AddressResultOut]:
    """A new link and a new expiry for each pending (or expired) invitation; the old
    link stops working."""
    return _results(
        service.resend(
            session,
            access,
            mailing.mailing_for(session, access, runtime.box, runtime.settings),
            body.emails,
        )
    )


@router.get(
    "/signup/{secret}",
    summary="Who an invitation link is for",
    response_model=SignupInfo,
    dependencies=[Anyone],
    responses={404: {"description": "Used, revoked, replaced or expired."}},
)
def signup_info(secret: Annotated[str, Path(max_length=200)], session: SessionDep) -> SignupInfo:
    invitation, account = acceptance.open_invitation(session, secret)
    return SignupInfo(email=invitation.email, account_name=account.name)


@router.post(
    "/signup",
    summary="Accept an invitation",
    response_model=SignupResponse,
    status_code=201,
    dependencies=[Anyone],
)
def signup(body: SignupRequest, session: SessionDep, runtime: RuntimeDep) -> SignupResponse:
    """Creates the user with the invited roles (a space or role removed meanwhile is
    skipped, and said in `notes`) and signs them in."""
    accepted = acceptance.accept(
        session,
        runtime.passwords,
        secret=body.secret,
        first_name=body.first_name,
        last_name=body.last_name,
        password=body.password,
        refused_domains=runtime.settings.refused_email_domains,
    )
    pair = issue_session_tokens(session, accepted.user, runtime.settings)
    return SignupResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        account_name=accepted.account.name,
        email=accepted.user.email,
        notes=accepted.notes,
    )
