"""Administration > Users: the user list, account roles and status, Invite User (the
seed's "Invite Users to Torque") and the pending invitations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response

from spacegate.access.requires import Administration, InviteUsers, ManageAccountUsers
from spacegate.authz import Level
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.grants.context import Access
from spacegate.invitations import service as invitations
from spacegate.roles.service import list_roles
from spacegate.users import service as users
from spacegate.users.models import UserStatus
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.templating import redirect

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(verify_csrf)])

SPACE_ROWS = 3
_SEPARATORS = re.compile(r"[\s,;]+")


@router.get("/users")
def users_page(
    request: Request,
    access: Administration,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=254)] = None,
) -> Response:
    account_id = access.caller.account_id
    found = users.list_users(session, account_id, query=q, limit=500, after_id=None)
    return page(
        request,
        session,
        access,
        "admin_users.html",
        nav="users",
        q=q,
        users=users.views(session, account_id, found),
        account_roles=list_roles(session, account_id, Level.ACCOUNT),
        invitations=invitations.list_invitations(
            session, account_id, status=None, space_name=None
        ).views,
    )


@router.post("/users/role")
def change_account_role(
    access: ManageAccountUsers,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
    account_role: Annotated[str, Form(max_length=200)],
) -> Response:
    users.set_account_role(session, access, email, account_role)
    return redirect("/admin/users", flash=f"{email} is now {account_role}.")


@router.post("/users/status")
def change_status(
    access: ManageAccountUsers,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
    value: Annotated[UserStatus, Form()],
) -> Response:
    users.set_status(session, access, email, value)
    done = "deactivated" if value is UserStatus.INACTIVE else "reactivated"
    return redirect("/admin/users", flash=f"{email} is {done}.")


@router.post("/users/remove")
def remove_user(
    access: ManageAccountUsers, session: SessionDep, email: Annotated[str, Form(max_length=254)]
) -> Response:
    users.remove_user(session, access, email)
    return redirect("/admin/users", flash=f"{email} was removed from the account.")


def _invite_page(
    request: Request,
    access: Access,
    session: SessionDep,
    *,
    values: Mapping[str, object] | None = None,
    errors: dict[str, str] | None = None,
    results: list[invitations.AddressResult] | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        session,
        access,
        "admin_invite.html",
        status_code=status_code,
        nav="users",
        rows=SPACE_ROWS,
        space_roles=list_roles(session, access.caller.account_id, Level.SPACE),
        values=values or {},
        errors=errors or {},
        results=results,
    )


@router.get("/users/invite")
def invite_form(request: Request, access: InviteUsers, session: SessionDep) -> Response:
    return _invite_page(request, access, session)


@router.post("/users/invite")
def invite(
    request: Request,
    access: InviteUsers,
    session: SessionDep,
    runtime: RuntimeDep,
    emails: Annotated[list[str], Form(max_length=1000)] = [],  # noqa: B006 (FastAPI copies defaults)
    account_role: Annotated[str | None, Form(max_length=20)] = None,
    space_name: Annotated[list[str], Form(max_length=SPACE_ROWS)] = [],  # noqa: B006
    space_role: Annotated[list[str], Form(max_length=SPACE_ROWS)] = [],  # noqa: B006
) -> Response:
    addresses = [part for field in emails for part in _SEPARATORS.split(field) if part]
    values = {
        "emails": ", ".join(addresses),
        "account_role": account_role,
        "space_names": space_name,
        "space_roles": space_role,
    }
    if not addresses:
        return _invite_page(
            request,
            access,
            session,
            values=values,
            errors={"emails": "Enter at least one email address."},
            status_code=422,
        )
    grants = [
        invitations.SpaceGrant(name, role)
        for name, role in zip(space_name, space_role, strict=False)
        if name
    ]
    results = invitations.invite(
        session,
        access,
        invitations.mailing_for(session, access, runtime.box, runtime.settings),
        emails=addresses,
        account_role="Admin" if account_role == "Admin" else None,
        grants=grants,
    )
    if all(r.result != "error" for r in results):
        sent = sum(1 for r in results if r.result in ("invited", "refreshed"))
        added = sum(1 for r in results if r.result == "added")
        return redirect(
            "/admin/users",
            flash=f"Invitations sent: {sent}. Existing users given the roles: {added}.",
        )
    return _invite_page(request, access, session, values=values, results=results, status_code=422)


@router.post("/invitations/resend")
def resend(
    access: InviteUsers,
    session: SessionDep,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=254)],
) -> Response:
    result = invitations.resend(
        session,
        access,
        invitations.mailing_for(session, access, runtime.box, runtime.settings),
        [email],
    )[0]
    return redirect(
        "/admin/users", flash=result.message or f"The invitation to {email} was sent again."
    )


@router.post("/invitations/revoke")
def revoke(
    access: InviteUsers, session: SessionDep, email: Annotated[str, Form(max_length=254)]
) -> Response:
    result = invitations.revoke(session, access, [email])[0]
    return redirect(
        "/admin/users", flash=result.message or f"The invitation to {email} was revoked."
    )
