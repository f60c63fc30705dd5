"""Every list route pages: it takes `limit` and `cursor`, with a bounded default, as
every route declares a guard. A route that answers a list without them fails here."""

from __future__ import annotations

import typing

from fastapi.routing import APIRoute

from spacegate.app import api_routes, create_app
from spacegate.settings import Settings

# Lists that are not collections of rows, each with the reason it needs no pages.
FIXED_LISTS = {
    "/api/settings/permissions": "the permission catalog: a constant, 22 entries",
    "/api/spaces/{space}/user_permissions": "the caller's permission ids in one space",
}


def _list_routes() -> list[APIRoute]:
    app = create_app(Settings(secret_key="pages", database_url="sqlite://"))
    return [
        route
        for route in api_routes(app)
        if "GET" in (route.methods or ())
        and typing.get_origin(route.response_model) is list
        and route.path not in FIXED_LISTS
    ]


def test_every_list_route_takes_limit_and_cursor() -> None:
    routes = _list_routes()
    assert len(routes) > 20, "the walker found the list routes"
    missing = []
    for route in routes:
        params = {param.name: param for param in route.dependant.query_params}
        limit, cursor = params.get("limit"), params.get("cursor")
        if limit is None or cursor is None:
            missing.append(route.path)
            continue
        assert limit.field_info.default is not None, f"{route.path}: limit needs a default"
        assert limit.field_info.default <= 500, route.path
    assert missing == [], f"list routes without limit and cursor: {missing}"
