"""SCIM Users (`/scim/v2/Users`): the token's account's users."""

from __future__ import annotations

from fastapi import Request, Response
from scim2_models import Context
from sqlalchemy.orm import Session

from spacegate.deps import RuntimeDep, SessionDep
from spacegate.scim import resources, users
from spacegate.scim.models import ScimUser
from spacegate.scim.routing import (
    DEFAULT_COUNT,
    Count,
    FilterQuery,
    Id,
    Payload,
    Scim,
    StartIndex,
    base_url,
    dump,
    page,
    parse_filter,
    scim_json,
    scim_router,
)
from spacegate.users.models import User

router = scim_router()


def _answer(
    session: Session, user: User, base: str, context: Context, request: Request | None = None
) -> dict[str, object]:
    resource = users.to_resource(user, session.get(ScimUser, user.id), base)
    return dump(resource, context, request)


@router.get("/Users", summary="List or filter users")
def list_users(
    request: Request,
    caller: Scim,
    session: SessionDep,
    runtime: RuntimeDep,
    filter_: FilterQuery = None,
    start_index: StartIndex = 1,
    count: Count = DEFAULT_COUNT,
) -> Response:
    """`filter`: `userName eq "..."`, `externalId eq "..."` or `displayName eq "..."`;
    paged by `startIndex` (from 1) and `count` (at most 500)."""
    field, value = parse_filter(filter_)
    statement = users.listing(session, caller, field, value)
    base = base_url(runtime)
    return scim_json(
        page(
            session,
            statement,
            start_index,
            min(count, resources.MAX_RESULTS),
            lambda user: _answer(session, user, base, Context.SEARCH_RESPONSE, request),
        )
    )


@router.post("/Users", summary="Provision a user (an Account Member, no password)")
def create_user(
    payload: Payload, caller: Scim, session: SessionDep, runtime: RuntimeDep
) -> Response:
    user = users.create(session, caller, payload)
    base = base_url(runtime)
    body = _answer(session, user, base, Context.RESOURCE_CREATION_RESPONSE)
    return scim_json(body, 201, location=f"{base}/Users/{user.id}")


@router.get("/Users/{user_id}", summary="One user")
def get_user(
    request: Request, user_id: Id, caller: Scim, session: SessionDep, runtime: RuntimeDep
) -> Response:
    user, _extra = users.find(session, caller, user_id)
    return scim_json(
        _answer(session, user, base_url(runtime), Context.RESOURCE_QUERY_RESPONSE, request)
    )


@router.put("/Users/{user_id}", summary="Replace a user")
def replace_user(
    user_id: Id, payload: Payload, caller: Scim, session: SessionDep, runtime: RuntimeDep
) -> Response:
    user = users.replace(session, caller, user_id, payload)
    return scim_json(
        _answer(session, user, base_url(runtime), Context.RESOURCE_REPLACEMENT_RESPONSE)
    )


@router.patch("/Users/{user_id}", summary="Change a user (PATCH as Okta and Entra ID send it)")
def patch_user(
    user_id: Id, payload: Payload, caller: Scim, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """`active: false` deactivates the user and ends their sessions and tokens at once."""
    base = base_url(runtime)
    user = users.patch(session, caller, user_id, payload, base)
    return scim_json(_answer(session, user, base, Context.RESOURCE_PATCH_RESPONSE))


@router.delete("/Users/{user_id}", summary="Remove a user from the account", status_code=204)
def delete_user(user_id: Id, caller: Scim, session: SessionDep) -> Response:
    users.delete(session, caller, user_id)
    return Response(status_code=204)
