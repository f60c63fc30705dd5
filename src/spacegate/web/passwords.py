"""Console pages for passwords: changing one's own (Profile > Change password), asking
for a reset link by email, and choosing a new password with it. The rules are
`spacegate.auth.credentials`'."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response

from spacegate.access.requires import Anyone, SignedInAccess
from spacegate.auth import credentials
from spacegate.auth.api import RESET_ANSWER
from spacegate.deps import ClientDep, RuntimeDep, SessionDep
from spacegate.errors import DomainError
from spacegate.web.console import Console
from spacegate.web.csrf import verify_csrf
from spacegate.web.templating import redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

Password = Annotated[str, Form(max_length=256)]
MISMATCH = "The two new passwords are not the same."


@router.get("/profile/password")
def change_form(request: Request, access: SignedInAccess, session: SessionDep) -> Response:
    return Console.of(session, access).page(request, "password_change.html", {"nav": "profile"})


@router.post("/profile/password")
def change(
    request: Request,
    access: SignedInAccess,
    session: SessionDep,
    runtime: RuntimeDep,
    current_password: Password,
    new_password: Password,
    confirm_password: Password,
) -> Response:
    errors: dict[str, str] = {}
    if new_password != confirm_password:
        errors["confirm_password"] = MISMATCH
    else:
        try:
            credentials.change_password(
                session,
                access.caller,
                runtime.passwords,
                runtime.login_limiter,
                current_password=current_password,
                new_password=new_password,
            )
        except DomainError as error:
            session.rollback()
            field = error.field if error.field == "current_password" else "new_password"
            errors[field] = error.message
    if errors:
        return Console.of(session, access).page(
            request,
            "password_change.html",
            {"nav": "profile", "errors": errors},
            status_code=422,
        )
    return redirect("/profile", flash="Your password is changed; your other sign-ins have ended.")


@router.get("/forgotpassword", dependencies=[Anyone])
def forgot_form(request: Request, account: Annotated[str, Query(max_length=64)] = "") -> Response:
    return render(request, "password_forgot.html", {"values": {"account": account}})


@router.post("/forgotpassword", dependencies=[Anyone])
def forgot(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    client: ClientDep,
    account: Annotated[str, Form(max_length=64)],
    email: Annotated[str, Form(max_length=254)],
) -> Response:
    credentials.request_reset(
        session, runtime.box, runtime.settings, account_name=account, email=email, client=client
    )
    return render(request, "password_forgot.html", {"sent": RESET_ANSWER, "values": {}})


@router.get("/resetpassword", dependencies=[Anyone])
def reset_form(request: Request, token: Annotated[str, Query(max_length=200)] = "") -> Response:
    return render(request, "password_reset.html", {"token": token})


@router.post("/resetpassword", dependencies=[Anyone])
def reset(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    client: ClientDep,
    token: Annotated[str, Form(max_length=200)],
    new_password: Password,
    confirm_password: Password,
) -> Response:
    errors: dict[str, str] = {}
    if new_password != confirm_password:
        errors["confirm_password"] = MISMATCH
    else:
        try:
            credentials.reset_password(
                session,
                runtime.passwords,
                token=token,
                new_password=new_password,
                client=client,
            )
        except DomainError as error:
            session.rollback()
            errors["token" if error.field == "token" else "new_password"] = error.message
    if errors:
        return render(
            request, "password_reset.html", {"token": token, "errors": errors}, status_code=422
        )
    return redirect("/login", flash="Your password is changed. Sign in with it.")
