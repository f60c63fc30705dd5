"""The first-run setup page (`/setup?token=...`): the form behind `POST /api/setup`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from spacegate.access.requires import Anyone
from spacegate.accounts import service
from spacegate.accounts.models import Account
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.users.models import User
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import submit
from spacegate.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.get("/setup", response_class=HTMLResponse, dependencies=[Anyone])
def setup_form(
    request: Request, session: SessionDep, token: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    done = service.any_account(session)
    return render(
        request, "setup.html", {"token": token, "done": done, "error": None, "values": {}}
    )


@router.post("/setup", response_class=HTMLResponse, dependencies=[Anyone])
def setup_submit(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    token: Annotated[str, Form(max_length=200)],
    account_name: Annotated[str, Form(max_length=200)],
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    first_name: Annotated[str, Form(max_length=100)] = "",
    last_name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    values = {
        "account_name": account_name,
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
    }

    def create() -> tuple[Account, User]:
        runtime.setup_gate.check(session, token)
        return service.create_account(
            session,
            runtime.passwords,
            name=account_name,
            admin_email=email,
            admin_password=password,
            first_name=first_name,
            last_name=last_name,
            via="setup",
            refused_domains=runtime.settings.refused_email_domains,
        )

    created = submit(
        session,
        create,
        lambda refusal: render(
            request,
            "setup.html",
            {"token": token, "done": False, "error": refusal.message, "values": values},
            status_code=refusal.status_code,
        ),
    )
    if isinstance(created, Response):
        return created
    account, admin = created
    runtime.setup_gate.close()
    base = runtime.settings.base_url()
    return render(
        request,
        "setup_done.html",
        {"account": account.name, "email": admin.email, "base": base},
        status_code=201,
    )
