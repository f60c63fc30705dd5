"""Sign-in and tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from spacegate.access.requires import Anyone, SignedInAccess
from spacegate.auth import credentials, service
from spacegate.auth.schemas import (
    ForgotPasswordRequest,
    ForgotPasswordResponse,
    LoginRequest,
    LongTokenRequest,
    LongTokenResponse,
    PasswordChangeRequest,
    RefreshRequest,
    ResetPasswordRequest,
    TokenInfo,
    TokenResponse,
)
from spacegate.deps import ClientDep, RuntimeDep, SessionDep
from spacegate.pagination import (
    DEFAULT_LIMIT,
    MAX_ID,
    CursorQuery,
    LimitQuery,
    decode_cursor,
    set_next_cursor,
)

router = APIRouter(prefix="/api", tags=["Authentication"])


@router.post(
    "/accounts/{account}/login",
    summary="Sign in with email and password",
    response_model=TokenResponse,
    dependencies=[Anyone],
    responses={
        401: {"description": "Wrong account, email or password."},
        429: {"description": "Too many failures; see Retry-After."},
    },
)
def login(
    account: Annotated[str, Path(max_length=64, description="The account's name.")],
    body: LoginRequest,
    session: SessionDep,
    runtime: RuntimeDep,
    client: ClientDep,
) -> TokenResponse:
    """Returns a short-lived access token and a refresh token. Failed attempts are
    limited per account + email and per client address (429 with `Retry-After`)."""
    pair = service.login(
        session,
        passwords=runtime.passwords,
        limiter=runtime.login_limiter,
        settings=runtime.settings,
        account_name=account,
        email=body.email,
        password=body.password,
        client=client,
    )
    return TokenResponse(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )


@router.post(
    "/token/refresh",
    summary="Trade a refresh token for a new token pair",
    response_model=TokenResponse,
    dependencies=[Anyone],
)
def refresh(body: RefreshRequest, session: SessionDep, runtime: RuntimeDep) -> TokenResponse:
    """The refresh token is used up; the answer carries a new one."""
    pair = service.refresh(session, body.refresh_token, runtime.settings)
    return TokenResponse(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )


@router.post(
    "/token/longtoken",
    summary="Create a long-lived API token",
    response_model=LongTokenResponse,
    status_code=201,
)
def create_long_token(
    body: LongTokenRequest,
    access: SignedInAccess,
    session: SessionDep,
    runtime: RuntimeDep,
) -> LongTokenResponse:
    """The token acts with its user's permissions at the time of each request, optionally
    narrowed to `permissions` and `spaces`. It is shown once; only its hash is kept."""
    issued = service.create_api_token(
        session,
        access,
        runtime.settings,
        name=body.name,
        expires_in_days=body.expires_in_days,
        permissions=body.permissions,
        spaces=body.spaces,
    )
    return LongTokenResponse(
        access_token=issued.secret,
        id=issued.token.id,
        name=issued.token.name,
        expires_at=issued.token.expires_at,
    )


@router.get("/tokens", summary="List my API tokens", response_model=list[TokenInfo])
def list_tokens(
    access: SignedInAccess,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[TokenInfo]:
    """The caller's long-lived API tokens (never the tokens themselves), with their
    last use as of this moment. Paged by id (`limit`, `cursor`)."""
    runtime.callers.flush_uses()  # last uses are otherwise written every few seconds
    tokens = service.list_api_tokens(
        session, access.caller, limit=limit, after_id=decode_cursor(cursor)
    )
    set_next_cursor(response, [token.id for token in tokens], limit)
    return [TokenInfo.model_validate(token, from_attributes=True) for token in tokens]


@router.delete("/tokens/{token_id}", summary="Revoke one of my API tokens", status_code=204)
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    access: SignedInAccess,
    session: SessionDep,
) -> Response:
    service.revoke_api_token(session, access.caller, token_id)
    return Response(status_code=204)


# -- passwords ------------------------------------------------------------------------------

RESET_ANSWER = "If that address has an account here, a link to choose a new password is on its way."


@router.put("/accounts/password", summary="Change my password", status_code=204)
def change_password(
    body: PasswordChangeRequest,
    access: SignedInAccess,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """With the current password. Every other sign-in of the user ends (console
    sessions, access and refresh tokens); the caller's own sign-in and the user's API
    tokens are kept. 422 for a wrong current password (counted as a failed sign-in) or
    a new one that is too easy to guess, with the reason; 403 for a narrowed token."""
    credentials.change_password(
        session,
        access.caller,
        runtime.passwords,
        runtime.login_limiter,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return Response(status_code=204)


@router.post(
    "/accounts/forgotpassword",
    summary="Email me a link to choose a new password",
    response_model=ForgotPasswordResponse,
    status_code=202,
    dependencies=[Anyone],
)
def forgot_password(
    body: ForgotPasswordRequest, session: SessionDep, runtime: RuntimeDep, client: ClientDep
) -> ForgotPasswordResponse:
    """Answers the same whether or not the address has an account (nothing tells which
    exist). The link works once, for SPACEGATE_PASSWORD_RESET_MINUTES; at most one is
    sent per address per minute."""
    credentials.request_reset(
        session,
        runtime.box,
        runtime.settings,
        account_name=body.account,
        email=body.email,
        client=client,
    )
    return ForgotPasswordResponse(message=RESET_ANSWER)


@router.post(
    "/accounts/resetpassword",
    summary="Choose a new password with an emailed link",
    status_code=204,
    dependencies=[Anyone],
)
def reset_password(
    body: ResetPasswordRequest, session: SessionDep, runtime: RuntimeDep, client: ClientDep
) -> Response:
    """The link's token is used up; every sign-in of the user ends (console sessions,
    access and refresh tokens; API tokens are kept). 422 for a token that is unknown,
    used or expired, or a password that is too easy to guess."""
    credentials.reset_password(
        session, runtime.passwords, token=body.token, new_password=body.new_password, client=client
    )
    return Response(status_code=204)
