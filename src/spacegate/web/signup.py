"""The page an invitation email links to (`/signup?secret=...`): the form behind
`POST /api/accounts/signup`. Signing up signs the new user in and lands them in their
first space. A link that no longer works says why, and what to do: sign in (it was
used), ask for a new one (it expired or was revoked), or use the newest email (it was
replaced)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from spacegate.access.guard import SESSION_COOKIE
from spacegate.access.requires import Anyone
from spacegate.auth import service as auth_service
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import NotFound
from spacegate.invitations import acceptance, listing
from spacegate.spaces import service as spaces
from spacegate.web.csrf import served_over_https, verify_csrf
from spacegate.web.forms import Refusal, submit
from spacegate.web.templating import redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

SecretQuery = Annotated[str, Query(max_length=200)]

INVALID = {
    "accepted": (
        "This invitation was already accepted",
        "Sign in with the email and password you chose.",
    ),
    "expired": (
        "This invitation has expired",
        "Invitations last a few days. Ask the person who invited you to send it again: "
        "the new email has a new link.",
    ),
    "revoked": (
        "This invitation was withdrawn",
        "Ask the person who invited you if you should still join.",
    ),
    "unknown": (
        "This link does not work",
        "It may have been replaced: when an invitation is sent again, only the newest "
        "email's link works. Look for a newer email, or ask the person who invited you to "
        "send it again.",
    ),
}


def _invalid(request: Request, session: SessionDep, secret: str) -> HTMLResponse:
    """The page of a link that no longer opens a sign-up form, saying why."""
    state, account = listing.link_state(session, secret)
    title, advice = INVALID.get(state, INVALID["unknown"])
    return render(
        request,
        "signup.html",
        {
            "invalid": title,
            "advice": advice,
            "state": state,
            "sign_in": f"/login?account={quote(account)}" if account else "/login",
            "secret": secret,
        },
        status_code=404,
    )


@router.get("/signup", response_class=HTMLResponse, dependencies=[Anyone])
def signup_form(request: Request, session: SessionDep, secret: SecretQuery = "") -> HTMLResponse:
    try:
        invitation, account = acceptance.open_invitation(session, secret)
    except NotFound:
        return _invalid(request, session, secret)
    context = {
        "invalid": None,
        "secret": secret,
        "email": invitation.email,
        "account": account.name,
        "error": None,
    }
    return render(request, "signup.html", {**context, "values": {}})


@router.post("/signup", response_class=HTMLResponse, dependencies=[Anyone])
def signup_submit(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    secret: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    first_name: Annotated[str, Form(max_length=100)] = "",
    last_name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        invitation, account = acceptance.open_invitation(session, secret)
    except NotFound:
        return _invalid(request, session, secret)
    email, account_name = invitation.email, account.name

    def redisplay(refusal: Refusal) -> Response:
        if isinstance(refusal.error, NotFound):  # used or replaced meanwhile
            return _invalid(request, session, secret)
        context = {
            "invalid": None,
            "secret": secret,
            "email": email,
            "account": account_name,
            "error": refusal.message,
            "values": {"first_name": first_name, "last_name": last_name},
        }
        return render(request, "signup.html", context, status_code=refusal.status_code)

    accepted = submit(
        session,
        lambda: acceptance.accept(
            session,
            runtime.passwords,
            secret=secret,
            first_name=first_name,
            last_name=last_name,
            password=password,
            refused_domains=runtime.settings.refused_email_domains,
        ),
        redisplay,
    )
    if isinstance(accepted, Response):
        return accepted
    # Signed in at once, and into the first space the invitation gave that still exists.
    landing = "/"
    for grant in invitation.grants:
        space = spaces.get_space(session, grant.space_id) if grant.space_id else None
        if space is not None and space.account_id == accepted.account.id:
            landing = f"/spaces/{quote(space.name, safe='')}"
            break
    welcome = f"Welcome to {accepted.account.name}, {accepted.user.display_name}."
    notes = " ".join(accepted.notes)
    response = redirect(landing, flash=f"{welcome} {notes}".strip())
    response.set_cookie(
        SESSION_COOKIE,
        auth_service.start_console_session(session, accepted.user, runtime.settings),
        httponly=True,
        samesite="lax",
        secure=served_over_https(request),
        max_age=runtime.settings.console_session_hours * 3600,
    )
    return response
