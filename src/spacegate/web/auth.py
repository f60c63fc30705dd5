"""Console sign-in and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from spacegate.access.guard import SESSION_COOKIE
from spacegate.access.requires import Anyone, SignedInAccess
from spacegate.accounts.service import any_account
from spacegate.auth import service as auth_service
from spacegate.deps import ClientDep, RuntimeDep, SessionDep
from spacegate.errors import InvalidInput, RateLimited, Unauthorized
from spacegate.sso.config import sso_account
from spacegate.web.csrf import served_over_https, verify_csrf
from spacegate.web.templating import redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a signed-in user to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", dependencies=[Anyone])
def login_form(
    request: Request,
    session: SessionDep,
    next: Annotated[str | None, Query(max_length=500)] = None,
    account: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    if not any_account(session):
        return render(request, "setup.html", {"token": "", "done": False})
    return render(
        request,
        "login.html",
        {
            "next": _safe_next(next),
            "values": {"account": account or ""},
            "sso_account": sso_account(session, account),
        },
    )


@router.post("/login", dependencies=[Anyone])
def login_submit(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    client: ClientDep,
    account: Annotated[str, Form(max_length=64)],
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    values = {"account": account, "email": email}
    try:
        user = auth_service.verify_credentials(
            session,
            passwords=runtime.passwords,
            limiter=runtime.login_limiter,
            account_name=account,
            email=email,
            password=password,
            client=client,
            refused_domains=runtime.settings.refused_email_domains,
        )
    except (Unauthorized, RateLimited, InvalidInput) as error:
        status = error.status_code
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "values": values, "error": error.message},
            status_code=status,
        )
    secret = auth_service.start_console_session(session, user, runtime.settings)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=served_over_https(request),
        max_age=runtime.settings.console_session_hours * 3600,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, _access: SignedInAccess) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        auth_service.end_console_session(session, cookie)
    response = redirect("/login", flash="You are signed out.")
    response.delete_cookie(SESSION_COOKIE)
    return response
