"""The page an invitation email links to (`/signup?secret=...`): the form behind
`POST /api/accounts/signup`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse

from spacegate.access.requires import Anyone
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import DomainError, NotFound
from spacegate.invitations import acceptance
from spacegate.web.csrf import verify_csrf
from spacegate.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.get("/signup", response_class=HTMLResponse, dependencies=[Anyone])
def signup_form(
    request: Request, session: SessionDep, secret: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    try:
        invitation, account = acceptance.open_invitation(session, secret)
    except NotFound as error:
        return render(
            request, "signup.html", {"invalid": error.message, "secret": secret}, status_code=404
        )
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
) -> HTMLResponse:
    try:
        invitation, account = acceptance.open_invitation(session, secret)
        email, account_name = invitation.email, account.name
        accepted = acceptance.accept(
            session,
            runtime.passwords,
            secret=secret,
            first_name=first_name,
            last_name=last_name,
            password=password,
            refused_domains=runtime.settings.refused_email_domains,
        )
    except NotFound as error:
        session.rollback()
        return render(
            request, "signup.html", {"invalid": error.message, "secret": secret}, status_code=404
        )
    except DomainError as error:
        session.rollback()
        context = {
            "invalid": None,
            "secret": secret,
            "email": email,
            "account": account_name,
            "error": error.message,
            "values": {"first_name": first_name, "last_name": last_name},
        }
        return render(request, "signup.html", context, status_code=error.status_code)
    return render(
        request,
        "signup_done.html",
        {
            "account": accepted.account.name,
            "email": accepted.user.email,
            "notes": accepted.notes,
            "base": runtime.settings.base_url(),
        },
        status_code=201,
    )
