"""The page an invitation email links to (`/signup?secret=...`): the form behind
`POST /api/accounts/signup`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from spacegate.access.requires import Anyone
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import NotFound
from spacegate.invitations import service
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import Refusal, submit
from spacegate.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.get("/signup", response_class=HTMLResponse, dependencies=[Anyone])
def signup_form(
    request: Request, session: SessionDep, secret: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    try:
        invitation, account = service.open_invitation(session, secret)
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
) -> Response:
    try:
        invitation, account = service.open_invitation(session, secret)
    except NotFound as error:
        return render(
            request, "signup.html", {"invalid": error.message, "secret": secret}, status_code=404
        )
    email, account_name = invitation.email, account.name

    def redisplay(refusal: Refusal) -> Response:
        if isinstance(refusal.error, NotFound):  # used or replaced meanwhile
            context: dict[str, object] = {"invalid": refusal.message, "secret": secret}
        else:
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
        lambda: service.accept(
            session,
            runtime.passwords,
            secret=secret,
            first_name=first_name,
            last_name=last_name,
            password=password,
        ),
        redisplay,
    )
    if isinstance(accepted, Response):
        return accepted
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
