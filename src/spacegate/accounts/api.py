"""First-run setup over the API."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from spacegate.access.requires import Anyone
from spacegate.accounts import service
from spacegate.auth.schemas import TokenResponse
from spacegate.auth.service import issue_session_tokens
from spacegate.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api", tags=["Setup"])


class SetupRequest(BaseModel):
    token: str = Field(
        max_length=200, description="The token of the setup link the server printed."
    )
    account_name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)


class SetupStatus(BaseModel):
    needs_setup: bool


@router.get(
    "/setup",
    summary="Whether first-run setup is still open",
    response_model=SetupStatus,
    dependencies=[Anyone],
)
def setup_status(session: SessionDep) -> SetupStatus:
    return SetupStatus(needs_setup=not service.any_account(session))


@router.post(
    "/setup",
    summary="Create the first account and its Account Admin",
    response_model=TokenResponse,
    status_code=201,
    dependencies=[Anyone],
    responses={404: {"description": "Wrong token, or setup already done."}},
)
def setup(body: SetupRequest, session: SessionDep, runtime: RuntimeDep) -> TokenResponse:
    """Works once, with the token of the link printed by the server while the
    installation has no account; answers the new admin's sign-in tokens."""
    gate: service.SetupGate = runtime.setup_gate
    gate.check(session, body.token)
    _account, admin = service.create_account(
        session,
        runtime.passwords,
        name=body.account_name,
        admin_email=body.email,
        admin_password=body.password,
        first_name=body.first_name,
        last_name=body.last_name,
        via="setup",
        refused_domains=runtime.settings.refused_email_domains,
    )
    pair = issue_session_tokens(session, admin, runtime.settings)
    gate.close()
    return TokenResponse(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )
