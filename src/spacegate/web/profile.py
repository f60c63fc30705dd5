"""Profile: who I am in this account, and my API tokens (created here, shown once,
revoked here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from spacegate.access.requires import SignedInAccess
from spacegate.auth import service as auth
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.grants.context import Access
from spacegate.groups.views import groups_of
from spacegate.pagination import MAX_ID
from spacegate.spaces import members as space_members
from spacegate.users import service as users
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import submit
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

MAX_EXPIRY_DAYS = auth.MAX_TOKEN_DAYS


def _profile_page(
    request: Request,
    access: Access,
    session: SessionDep,
    runtime: RuntimeDep,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    runtime.callers.flush_uses()  # show last uses as of now, not as of the last flush
    me = users.get_user(session, access.caller.account_id, access.caller.email)
    return page(
        request,
        session,
        access,
        "profile.html",
        status_code=status_code,
        nav="profile",
        me=space_members.user_view(session, me),
        groups=groups_of(session, me),
        tokens=auth.list_api_tokens(session, access.caller),
        max_days=runtime.settings.api_token_max_days,
        values=values or {},
        errors=errors or {},
    )


@router.get("/profile")
def profile(
    request: Request, access: SignedInAccess, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return _profile_page(request, access, session, runtime)


def _expiry_days(text: str, errors: dict[str, str]) -> int | None:
    if not text.strip():
        return None
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        errors["expires_in_days"] = (
            f"Enter a whole number of days from 1 to {MAX_EXPIRY_DAYS}, or leave it empty."
        )
    return days


@router.post("/profile/tokens")
def create_token(
    request: Request,
    access: SignedInAccess,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=1000)] = "",
    expires_in_days: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The result page is the only time the token is shown: only its hash is kept."""
    values = {"name": name, "expires_in_days": expires_in_days}
    errors: dict[str, str] = {}
    name = name.strip()
    if len(name) > auth.MAX_TOKEN_NAME:
        errors["name"] = f"The name must be at most {auth.MAX_TOKEN_NAME} characters long."
    days = _expiry_days(expires_in_days, errors)
    if errors:
        return _profile_page(
            request, access, session, runtime, values=values, errors=errors, status_code=422
        )
    issued = submit(
        session,
        lambda: auth.create_api_token(
            session,
            access,
            runtime.settings,
            name=name,
            expires_in_days=days,
            permissions=None,
            spaces=None,
        ),
        lambda refusal: _profile_page(
            request,
            access,
            session,
            runtime,
            values=values,
            errors=refusal.errors,
            status_code=refusal.status_code,
        ),
        default="expires_in_days",
    )
    if isinstance(issued, Response):
        return issued
    response = page(
        request,
        session,
        access,
        "profile_token.html",
        nav="profile",
        token=issued.token,
        secret=issued.secret,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/profile/tokens/revoke")
def revoke_token(
    access: SignedInAccess,
    session: SessionDep,
    token_id: Annotated[int, Form(ge=1, le=MAX_ID)],
) -> Response:
    name = next(
        (t.name for t in auth.list_api_tokens(session, access.caller) if t.id == token_id), ""
    )
    auth.revoke_api_token(session, access.caller, token_id)
    what = f"the API token {name}" if name else "the API token"
    return redirect("/profile", flash=f"Revoked {what}; it no longer works.")
