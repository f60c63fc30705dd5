"""Administration > Users: the user list, account roles and status, and the pending
invitations. A role is changed with its own Save button (never on change), after a
question when it gives more than the user had; removing a user or revoking an
invitation asks first; nobody is offered to deactivate or remove themselves or the
last Account Admin. Invite User is `admin_invite`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response

from spacegate.access.requires import Administration, InviteUsers, ManageAccountUsers
from spacegate.authz import Level
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.invitations import listing as invitation_listing
from spacegate.invitations import mailing as invitation_mailing
from spacegate.invitations import service as invitations
from spacegate.roles.service import find_role, list_roles
from spacegate.spaces import members as space_members
from spacegate.users import service as users
from spacegate.users.models import UserStatus
from spacegate.web import admin_invite
from spacegate.web.confirm import ConfirmedField, ask, confirmed, gained, raising
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import back_to, submit
from spacegate.web.templating import redirect, role_label

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
router.include_router(admin_invite.router)

LIST_URL = "/admin/users"
EmailField = Annotated[str, Form(max_length=254)]


@router.get("/admin/users")
def users_page(
    request: Request,
    access: Administration,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=254)] = None,
) -> Response:
    account_id = access.caller.account_id
    found = users.list_users(session, account_id, query=q, limit=500, after_id=None)
    views = space_members.user_views(session, account_id, found)
    roles = list_roles(session, account_id, Level.ACCOUNT)
    by_name = {role.name: role for role in roles}
    return page(
        request,
        session,
        access,
        "admin_users.html",
        nav="users",
        q=q,
        users=views,
        me=access.caller.email.lower(),
        last_admin=users.active_admin_count(session, account_id) <= 1,
        account_roles=roles,
        raising={v.user.email: raising(roles, by_name.get(v.account_role)) for v in views},
        invitations=invitation_listing.list_invitations(
            session, account_id, status=None, space_name=None
        ).views,
    )


def _back(email: str, session: SessionDep, account_id: int) -> str:
    """The list, at the row of `email` (its role field keeps the focus)."""
    user = users.find_user(session, account_id, email)
    return f"{LIST_URL}#account-role-{user.id}" if user else LIST_URL


@router.post("/admin/users/role")
def change_account_role(
    request: Request,
    access: ManageAccountUsers,
    session: SessionDep,
    email: EmailField,
    account_role: Annotated[str, Form(max_length=200)],
    confirmed_: ConfirmedField = "",
) -> Response:
    account_id = access.caller.account_id
    user = users.get_user(session, account_id, email)
    current = find_role(
        session, account_id, space_members.user_views(session, account_id, [user])[0].account_role
    )
    wanted = find_role(session, account_id, account_role)
    if wanted and wanted.name in raising([wanted], current) and not confirmed(confirmed_):
        return ask(
            request,
            session,
            access,
            nav="users",
            title=f"Make {user.email} {role_label(wanted.name)}?",
            question=f"{user.email} will be able to do more than as "
            f"{role_label(current.name if current else '')}:",
            details=gained(wanted, current),
            action=f"{LIST_URL}/role",
            fields={"email": user.email, "account_role": wanted.name},
            button=f"Make {role_label(wanted.name)}",
            cancel=LIST_URL,
            danger=False,
        )
    back = _back(email, session, account_id)
    done = submit(
        session,
        lambda: users.set_account_role(session, access, email, account_role),
        back_to(back),
    )
    if isinstance(done, Response):
        return done
    return redirect(back, flash=f"{email} is now {role_label(account_role)}.")


@router.post("/admin/users/status")
def change_status(
    access: ManageAccountUsers,
    session: SessionDep,
    email: EmailField,
    value: Annotated[UserStatus, Form()],
) -> Response:
    back = _back(email, session, access.caller.account_id)
    done = submit(
        session,
        lambda: users.set_status(session, access, email, value),
        back_to(back),
    )
    if isinstance(done, Response):
        return done
    what = "deactivated: they can no longer sign in" if value is UserStatus.INACTIVE else "active"
    return redirect(back, flash=f"{email} is {what}.")


@router.post("/admin/users/remove")
def remove_user(
    request: Request,
    access: ManageAccountUsers,
    session: SessionDep,
    email: EmailField,
    confirmed_: ConfirmedField = "",
) -> Response:
    user = users.get_user(session, access.caller.account_id, email)
    if not confirmed(confirmed_):
        return ask(
            request,
            session,
            access,
            nav="users",
            title=f"Remove {user.email}?",
            question=f"{user.display_name} loses every role in the account and its spaces, "
            "and is signed out. To let them back in, invite them again.",
            action=f"{LIST_URL}/remove",
            fields={"email": user.email},
            button="Remove user",
            cancel=LIST_URL,
        )
    done = submit(
        session,
        lambda: users.remove_user(session, access, email),
        back_to(LIST_URL),
    )
    if isinstance(done, Response):
        return done
    return redirect(LIST_URL, flash=f"{email} was removed from the account.")


@router.post("/admin/invitations/resend")
def resend(
    access: InviteUsers,
    session: SessionDep,
    runtime: RuntimeDep,
    email: EmailField,
) -> Response:
    result = invitations.resend(
        session,
        access,
        invitation_mailing.mailing_for(session, access, runtime.box, runtime.settings),
        [email],
    )[0]
    if result.result == "error":
        return redirect(LIST_URL, flash=result.message or "", refused=True)
    return redirect(LIST_URL, flash=f"The invitation to {email} was sent again, with a new link.")


@router.post("/admin/invitations/revoke")
def revoke(
    request: Request,
    access: InviteUsers,
    session: SessionDep,
    email: EmailField,
    confirmed_: ConfirmedField = "",
) -> Response:
    if not confirmed(confirmed_):
        return ask(
            request,
            session,
            access,
            nav="users",
            title=f"Revoke the invitation to {email}?",
            question="Its link stops working at once. You can invite the address again later.",
            action="/admin/invitations/revoke",
            fields={"email": email},
            button="Revoke invitation",
            cancel=f"{LIST_URL}#invitations",
        )
    result = invitations.revoke(session, access, [email])[0]
    if result.result == "error":
        return redirect(LIST_URL, flash=result.message or "", refused=True)
    return redirect(f"{LIST_URL}#invitations", flash=f"The invitation to {email} was revoked.")
