"""Sign-in and tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from spacegate.access.requires import Anyone, SignedInAccess
from spacegate.auth import service
from spacegate.auth.schemas import (
    LoginRequest,
    LongTokenRequest,
    LongTokenResponse,
    RefreshRequest,
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
