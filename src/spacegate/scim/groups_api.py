"""SCIM Groups (`/scim/v2/Groups`): the token's account's identity provider groups."""

from __future__ import annotations

from fastapi import Request, Response
from scim2_models import Context
from sqlalchemy.orm import Session

from spacegate.deps import RuntimeDep, SessionDep
from spacegate.groups.models import Group
from spacegate.scim import groups, resources
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

router = scim_router()


def _answer(
    session: Session, group: Group, base: str, context: Context, request: Request | None = None
) -> dict[str, object]:
    return dump(groups.to_resource(session, group, base), context, request)


@router.get("/Groups", summary="List or filter groups")
def list_groups(
    request: Request,
    caller: Scim,
    session: SessionDep,
    runtime: RuntimeDep,
    filter_: FilterQuery = None,
    start_index: StartIndex = 1,
    count: Count = DEFAULT_COUNT,
) -> Response:
    """`filter`: `displayName eq "..."` or `externalId eq "..."`; paged by `startIndex`
    and `count`."""
    field, value = parse_filter(filter_)
    base = base_url(runtime)
    return scim_json(
        page(
            session,
            groups.listing(caller, field, value),
            start_index,
            min(count, resources.MAX_RESULTS),
            lambda group: _answer(session, group, base, Context.SEARCH_RESPONSE, request),
        )
    )


@router.post("/Groups", summary="Provision a group")
def create_group(
    payload: Payload, caller: Scim, session: SessionDep, runtime: RuntimeDep
) -> Response:
    group = groups.create(session, caller, payload)
    base = base_url(runtime)
    body = _answer(session, group, base, Context.RESOURCE_CREATION_RESPONSE)
    return scim_json(body, 201, location=f"{base}/Groups/{groups.scim_id(group)}")


@router.get("/Groups/{group_id}", summary="One group")
def get_group(
    request: Request, group_id: Id, caller: Scim, session: SessionDep, runtime: RuntimeDep
) -> Response:
    group = groups.find(session, caller, group_id)
    return scim_json(
        _answer(session, group, base_url(runtime), Context.RESOURCE_QUERY_RESPONSE, request)
    )


@router.put("/Groups/{group_id}", summary="Replace a group (name, members)")
def replace_group(
    group_id: Id, payload: Payload, caller: Scim, session: SessionDep, runtime: RuntimeDep
) -> Response:
    group = groups.replace(session, caller, group_id, payload)
    return scim_json(
        _answer(session, group, base_url(runtime), Context.RESOURCE_REPLACEMENT_RESPONSE)
    )


@router.patch("/Groups/{group_id}", summary="Change a group (PATCH as Okta and Entra ID send it)")
def patch_group(
    group_id: Id, payload: Payload, caller: Scim, session: SessionDep, runtime: RuntimeDep
) -> Response:
    base = base_url(runtime)
    group = groups.patch(session, caller, group_id, payload, base)
    return scim_json(_answer(session, group, base, Context.RESOURCE_PATCH_RESPONSE))


@router.delete("/Groups/{group_id}", summary="Delete a group", status_code=204)
def delete_group(group_id: Id, caller: Scim, session: SessionDep) -> Response:
    groups.delete(session, caller, group_id)
    return Response(status_code=204)
