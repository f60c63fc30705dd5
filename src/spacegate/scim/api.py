"""SCIM 2.0 (RFC 7644) at `/scim/v2`: discovery, Users and Groups, and a last route
that answers any other path or method in SCIM's error shape (404, or 405 for a known
path), so that nothing under `/scim/v2` answers otherwise."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response

from spacegate.scim import discovery_api, groups_api, search_api, users_api
from spacegate.scim.errors import error_response
from spacegate.scim.routing import PREFIX, Scim, scim_router

_routers = (discovery_api.router, search_api.router, users_api.router, groups_api.router)
_KNOWN = [
    re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", route.path) + "$")
    for module in _routers
    for route in module.routes
    if hasattr(route, "path")
]

fallback = scim_router()


@fallback.api_route(
    "/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    summary="Anything else under /scim/v2: a SCIM 404 or 405",
    # Not an operation of the API: one route for five methods, left out of OpenAPI.
    include_in_schema=False,
)
def elsewhere(path: str, request: Request, caller: Scim) -> Response:
    if request.url.path.rstrip("/") == PREFIX or not any(
        known.match(request.url.path) for known in _KNOWN
    ):
        return error_response(404, f"There is no SCIM resource at /{path}.")
    return error_response(405, f"/{path} does not take {request.method}.")


router = APIRouter()
for module_router in (*_routers, fallback):
    router.include_router(module_router)
