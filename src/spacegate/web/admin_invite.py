"""Administration > Users > Invite User (the seed's "Invite Users to Torque").

Re-inviting never narrows silently: the form lists the pending invitations with their
roles, and an address that has one gets the new roles added to it unless Replace is
chosen. The answer says per address what happened (sent, merged, already a user:
added); after a partial failure the form keeps only the addresses that failed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request, Response
from sqlalchemy.orm import Session

from spacegate.access.requires import InviteUsers
from spacegate.authz import Level
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.grants.context import Access
from spacegate.invitations import listing
from spacegate.invitations import mailing as invitation_mailing
from spacegate.invitations import service as invitations
from spacegate.invitations.models import Invitation
from spacegate.invitations.terms import SpaceGrant, Terms, terms_of
from spacegate.roles.service import list_roles
from spacegate.web.console import page, space_suggestions
from spacegate.web.csrf import verify_csrf
from spacegate.web.templating import redirect, role_label

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

SPACE_ROWS = 3
LISTED = 6  # a flash names each address up to this many; beyond, it counts them
_SEPARATORS = re.compile(r"[\s,;]+")
Mode = Literal["merge", "replace"]


def describe(terms: Terms) -> str:
    """`Account Member; dev: Space Developer, prod: Space Admin`."""
    spaces = ", ".join(f"{g.space_name}: {g.space_role}" for g in terms.spaces)
    return role_label(terms.account_role) + (f"; {spaces}" if spaces else "")


def _pending(session: Session, account_id: int) -> tuple[list[Invitation], dict[int, str]]:
    """The pending invitations, and what each grants, in words, by invitation id."""
    pending = listing.pending_invitations(session, account_id)
    terms = terms_of(session, account_id, pending)
    return pending, {invitation.id: describe(terms[invitation.id]) for invitation in pending}


def _invite_page(
    request: Request,
    access: Access,
    session: Session,
    *,
    values: Mapping[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    results: list[Outcome] | None = None,
    status_code: int = 200,
) -> Response:
    pending, described = _pending(session, access.caller.account_id)
    return page(
        request,
        session,
        access,
        "admin_invite.html",
        status_code=status_code,
        nav="users",
        rows=SPACE_ROWS,
        space_suggestions=space_suggestions(session, access),
        space_roles=list_roles(session, access.caller.account_id, Level.SPACE),
        pending=pending,
        roles_of=lambda invitation: described[invitation.id],
        values=values or {"mode": "merge"},
        errors=errors or {},
        results=results,
    )


@router.get("/admin/users/invite")
def invite_form(request: Request, access: InviteUsers, session: SessionDep) -> Response:
    return _invite_page(request, access, session)


class Outcome:
    """What happened to one address, in words."""

    def __init__(self, email: str, ok: bool, said: str) -> None:
        self.email, self.ok, self.said = email, ok, said


def _outcomes(
    session: Session, account_id: int, results: list[invitations.AddressResult], mode: Mode
) -> list[Outcome]:
    invitations_, described = _pending(session, account_id)
    pending = {invitation.email_key: invitation for invitation in invitations_}
    said = []
    for result in results:
        invitation = pending.get(result.email.lower())
        roles = f" ({described[invitation.id]})" if invitation else ""
        if result.result == "invited":
            said.append(Outcome(result.email, True, f"invitation sent{roles}"))
        elif result.result == "refreshed" and mode == "merge":
            said.append(
                Outcome(
                    result.email, True, f"merged into the pending invitation, sent again{roles}"
                )
            )
        elif result.result == "refreshed":
            said.append(
                Outcome(result.email, True, f"pending invitation replaced, sent again{roles}")
            )
        elif result.result == "added":
            said.append(Outcome(result.email, True, "already a user: added"))
        else:
            said.append(Outcome(result.email, False, result.message or "not invited"))
    return said


def _flash(outcomes: list[Outcome]) -> str:
    if len(outcomes) <= LISTED:
        return " ".join(f"{o.email}: {o.said}." for o in outcomes)
    counts: dict[str, int] = {}
    for o in outcomes:
        kind = o.said.split(" (", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return " ".join(f"{kind.capitalize()}: {n}." for kind, n in counts.items())


@router.post("/admin/users/invite")
def invite(
    request: Request,
    access: InviteUsers,
    session: SessionDep,
    runtime: RuntimeDep,
    emails: Annotated[list[str], Form(max_length=1000)] = [],  # noqa: B006 (FastAPI copies defaults)
    account_role: Annotated[str | None, Form(max_length=20)] = None,
    space_name: Annotated[list[str], Form(max_length=SPACE_ROWS)] = [],  # noqa: B006
    space_role: Annotated[list[str], Form(max_length=SPACE_ROWS)] = [],  # noqa: B006
    mode: Annotated[Mode, Form()] = "merge",
) -> Response:
    addresses = [part for field in emails for part in _SEPARATORS.split(field) if part]
    values = {
        "emails": ", ".join(addresses),
        "account_role": account_role,
        "space_names": space_name,
        "space_roles": space_role,
        "mode": mode,
    }
    if not addresses:
        errors = {"emails": "Enter at least one email address."}
        return _invite_page(request, access, session, values=values, errors=errors, status_code=422)
    grants = [
        SpaceGrant(name, role) for name, role in zip(space_name, space_role, strict=False) if name
    ]
    # Each address is handled on its own (the service keeps failed ones from writing
    # anything): those that went through stay done even when others fail.
    results = invitations.invite(
        session,
        access,
        invitation_mailing.mailing_for(session, access, runtime.box, runtime.settings),
        emails=addresses,
        account_role="Admin" if account_role == "Admin" else None,
        grants=grants,
        merge=mode == "merge",
    )
    outcomes = _outcomes(session, access.caller.account_id, results, mode)
    if all(o.ok for o in outcomes):
        return redirect("/admin/users", flash=_flash(outcomes))
    failed = [o.email for o in outcomes if not o.ok]
    return _invite_page(
        request,
        access,
        session,
        values={**values, "emails": ", ".join(failed)},
        results=outcomes,
        errors={"emails": f"Not invited: {', '.join(failed)}. Correct them and send again."},
        status_code=422,
    )
