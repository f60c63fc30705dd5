"""The API's OpenAPI document names its security from the routes' guards.

The guards read the bearer token straight from the request (one dependency per route on
the hot path), so FastAPI sees no security dependency to document; this adds the
bearer scheme, and puts it on every operation whose guard is not `Public`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from spacegate.access.guard import BEARER_SCHEME, Guard, Public


def guards_of(dependant: Dependant) -> list[Guard]:
    """Every guard declared anywhere in a route's dependency tree."""
    found: list[Guard] = []
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Guard):
            found.append(dependency.call)
        found.extend(guards_of(dependency))
    return found


def document_security(app: FastAPI, routes: list[APIRoute]) -> None:
    """Make `app.openapi()` declare the bearer scheme on the guarded API operations."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[BEARER_SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "description": "A login access token or a long-lived API token.",
        }
        paths = schema.get("paths", {})
        for route in routes:
            guards = guards_of(route.dependant)
            if not guards or isinstance(guards[0], Public) or route.path not in paths:
                continue
            for method in route.methods or ():
                operation = paths[route.path].get(method.lower())
                if operation is not None:
                    operation["security"] = [{BEARER_SCHEME: []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
