"""Searching by POST (RFC 7644, 3.4.3): `/Users/.search`, `/Groups/.search`, and
`/.search` over both, with the same filters, paging and attribute selection as GET."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Response
from scim2_models import Context, SearchRequest
from sqlalchemy.orm import Session

from spacegate.deps import RuntimeDep, SessionDep
from spacegate.scim import groups, resources, users
from spacegate.scim.errors import ScimError
from spacegate.scim.models import ScimUser
from spacegate.scim.routing import (
    DEFAULT_COUNT,
    Payload,
    Scim,
    base_url,
    dump,
    parse_filter,
    scim_json,
    scim_router,
)
from spacegate.scim.tokens import ScimCaller

router = scim_router()

Dumper = Callable[[Any], dict[str, Any]]


def _request(payload: dict[str, Any]) -> SearchRequest[Any]:
    try:
        return SearchRequest.model_validate(payload, scim_ctx=Context.SEARCH_REQUEST)
    except ValueError as error:
        raise ScimError.from_validation(error) from None


def _sources(
    session: Session,
    caller: ScimCaller,
    search: SearchRequest[Any],
    base: str,
    kinds: tuple[str, ...],
) -> list[tuple[Any, Dumper]]:
    field, value = parse_filter(str(search.filter) if search.filter is not None else None)
    sources: list[tuple[Any, Dumper]] = []
    if "User" in kinds:
        sources.append(
            (
                users.listing(session, caller, field, value),
                lambda user: dump(
                    users.to_resource(user, session.get(ScimUser, user.id), base),
                    Context.SEARCH_RESPONSE,
                    parameters=search,
                ),
            )
        )
    if "Group" in kinds and (field is None or field in ("displayname", "externalid")):
        sources.append(
            (
                groups.listing(caller, field, value),
                lambda group: dump(
                    groups.to_resource(session, group, base),
                    Context.SEARCH_RESPONSE,
                    parameters=search,
                ),
            )
        )
    return sources


def _search(
    session: Session, caller: ScimCaller, payload: dict[str, Any], base: str, kinds: tuple[str, ...]
) -> Response:
    search = _request(payload)
    start = max(search.start_index or 1, 1)
    count = min(search.count if search.count is not None else DEFAULT_COUNT, resources.MAX_RESULTS)
    found: list[dict[str, Any]] = []
    total = 0
    skip = start - 1
    for statement, dumper in _sources(session, caller, search, base, kinds):
        size = groups.count(session, statement)
        total += size
        if skip >= size:
            skip -= size
            continue
        wanted = count - len(found)
        if wanted > 0:
            rows = session.scalars(statement.offset(skip).limit(wanted))
            found.extend(dumper(row) for row in rows)
        skip = 0
    return scim_json(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(found),
            "Resources": found,
        }
    )


@router.post("/.search", summary="Search users and groups")
def search_all(
    payload: Payload, caller: Scim, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return _search(session, caller, payload, base_url(runtime), ("User", "Group"))


@router.post("/Users/.search", summary="Search users")
def search_users(
    payload: Payload, caller: Scim, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return _search(session, caller, payload, base_url(runtime), ("User",))


@router.post("/Groups/.search", summary="Search groups")
def search_groups(
    payload: Payload, caller: Scim, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return _search(session, caller, payload, base_url(runtime), ("Group",))
