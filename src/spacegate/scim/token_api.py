"""SCIM tokens (`/api/settings/scim/tokens`): INTEGRATE_IDP."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from spacegate.access.requires import IntegrateIdp
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.pagination import (
    DEFAULT_LIMIT,
    MAX_ID,
    CursorQuery,
    LimitQuery,
    decode_cursor,
    set_next_cursor,
)
from spacegate.scim import tokens

router = APIRouter(prefix="/api/settings/scim/tokens", tags=["SCIM"])


class ScimTokenIn(BaseModel):
    name: str = Field(max_length=100, description="To recognise it, e.g. 'Okta'.")


class ScimTokenOut(BaseModel):
    id: int
    name: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None


class ScimTokenCreated(ScimTokenOut):
    token: str = Field(description="The bearer token for the SCIM client; shown once.")
    scim_base_url: str = Field(description="The SCIM 2.0 base URL to give the client.")


@router.get("", summary="List the account's SCIM tokens", response_model=list[ScimTokenOut])
def list_scim_tokens(
    access: IntegrateIdp,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[ScimTokenOut]:
    """Never the tokens themselves. By id, paged (`limit`, `cursor`)."""
    after = decode_cursor(cursor)
    found = [
        token
        for token in tokens.list_tokens(session, access.caller.account_id)
        if after is None or token.id > after
    ][:limit]
    set_next_cursor(response, [token.id for token in found], limit)
    return [ScimTokenOut.model_validate(token, from_attributes=True) for token in found]


@router.post("", summary="Create a SCIM token", response_model=ScimTokenCreated, status_code=201)
def create_scim_token(
    body: ScimTokenIn, access: IntegrateIdp, session: SessionDep, runtime: RuntimeDep
) -> ScimTokenCreated:
    """The token is shown once; only its hash is kept. 403 unless the caller could
    grant every group's roles (the SCIM client will decide group memberships)."""
    token, secret = tokens.create_token(session, access, body.name)
    return ScimTokenCreated(
        id=token.id,
        name=token.name,
        created_by=token.created_by,
        created_at=token.created_at,
        last_used_at=None,
        token=secret,
        scim_base_url=f"{runtime.settings.base_url()}/scim/v2",
    )


@router.delete("/{token_id}", summary="Revoke a SCIM token", status_code=204)
def revoke_scim_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)], access: IntegrateIdp, session: SessionDep
) -> Response:
    tokens.revoke_token(session, access, token_id)
    return Response(status_code=204)
