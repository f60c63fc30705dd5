"""The application factory: wires settings, runtime, routers and error handling."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

from spacegate.access import api as decision_api
from spacegate.access.openapi import document_security
from spacegate.accounts import api as setup_api
from spacegate.accounts.service import any_account
from spacegate.api_docs import install_api_docs
from spacegate.audit import api as audit_api
from spacegate.auth import api as auth_api
from spacegate.blueprints import api as blueprints_api
from spacegate.cloudaccounts import api as cloudaccounts_api
from spacegate.cost import api as cost_api
from spacegate.db import transaction
from spacegate.environments import api as environments_api
from spacegate.groups import api as groups_api
from spacegate.hardening import Hardening
from spacegate.http_errors import install_error_handlers
from spacegate.invitations import api as invitations_api
from spacegate.operations import api as operations_api
from spacegate.operations.access_log import ObserveRequests
from spacegate.policies import api as policies_api
from spacegate.roles import api as roles_api
from spacegate.runtime import Runtime
from spacegate.scim import api as scim_api
from spacegate.scim import token_api as scim_token_api
from spacegate.settings import Settings
from spacegate.spaces import api as spaces_api
from spacegate.sso import api as sso_api
from spacegate.tags import api as tags_api
from spacegate.users import api as users_api
from spacegate.web import admin_audit as admin_audit_pages
from spacegate.web import admin_cloudaccounts as admin_cloud_pages
from spacegate.web import admin_groups as admin_group_pages
from spacegate.web import admin_idp as admin_idp_pages
from spacegate.web import admin_roles as admin_role_pages
from spacegate.web import admin_spaces as admin_space_pages
from spacegate.web import admin_tags as admin_tag_pages
from spacegate.web import admin_users as admin_user_pages
from spacegate.web import auth as auth_pages
from spacegate.web import passwords as password_pages
from spacegate.web import profile as profile_pages
from spacegate.web import setup as setup_pages
from spacegate.web import signup as signup_pages
from spacegate.web import space_blueprints as space_blueprint_pages
from spacegate.web import space_cost as space_cost_pages
from spacegate.web import space_environments as space_environment_pages
from spacegate.web import space_settings as space_settings_pages
from spacegate.web import spaces as space_pages
from spacegate.web import sso as sso_pages
from spacegate.web.errors import render_error
from spacegate.web.paths import STATIC_DIR

log = logging.getLogger("spacegate")

DESCRIPTION = """
Self-hosted roles and permissions for environment-as-a-service platforms, with
Torque-compatible routes. Authenticate with `Authorization: Bearer <token>`: a login
access token (`POST /api/accounts/{account}/login`) or a long-lived API token
(`POST /api/token/longtoken`). Errors answer `{"errors": [{"name", "message"}]}`.
"""


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the app. Without `runtime`, one is started (and the database migrated) when
    the app starts, and closed when it stops."""
    settings = settings or (runtime.settings if runtime else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        active = runtime or Runtime.start(settings)
        app.state.runtime = active
        active.start_background()
        announce(active)
        try:
            yield
        finally:
            active.stop_background()
            if owned:
                active.close()

    app = FastAPI(
        title="spacegate",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,  # served from the package by `install_api_docs`, not from a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    if runtime is not None:
        app.state.runtime = runtime
    install_error_handlers(app, page=render_error)
    # The decision API first: Starlette tries routes in order, and the route other
    # services call on every request should not wait behind two hundred others.
    # Its routes are the app's own, not an included router: FastAPI resolves an included
    # router's routes through a layer of its own on every request (measured at 9 µs, as
    # much as authenticating and deciding together).
    app.router.routes.extend(decision_api.router.routes)
    routers = (
        operations_api,
        setup_api,
        auth_api,
        users_api,
        invitations_api,
        spaces_api,
        roles_api,
        audit_api,
        cloudaccounts_api,
        blueprints_api,
        tags_api,
        policies_api,
        environments_api,
        cost_api,
        groups_api,
        sso_api,
        scim_token_api,
        scim_api,
    )
    for module in routers:
        app.include_router(module.router)
    for pages in (
        auth_pages,
        setup_pages,
        signup_pages,
        space_pages,
        admin_user_pages,
        admin_role_pages,
        admin_space_pages,
        admin_audit_pages,
        admin_cloud_pages,
        profile_pages,
        password_pages,
        space_blueprint_pages,
        space_environment_pages,
        space_cost_pages,
        space_settings_pages,
        admin_tag_pages,
        sso_pages,
        admin_group_pages,
        admin_idp_pages,
    ):
        app.include_router(pages.router)
    install_api_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(Hardening, max_body_bytes=settings.max_request_body_bytes)
    app.add_middleware(ObserveRequests)
    document_security(app, api_routes(app))
    return app


def announce(runtime: Runtime) -> None:
    """Print how to start: the one-time setup link, or where to sign in."""
    base = runtime.settings.base_url()
    with transaction(runtime.sessions, write=False) as session:
        has_account = any_account(session)
    if not has_account:
        token = runtime.setup_gate.open(runtime.settings.setup_token)
        log.warning(
            "No account yet. Open this one-time link to create the first account and its "
            "Account Admin:\n\n    %s/setup?token=%s\n",
            base,
            token,
        )
    else:
        log.warning(
            "spacegate is ready. Sign in with POST %s/api/accounts/<account>/login "
            '{"email", "password"}; API docs at %s/api/docs',
            base,
            base,
        )


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every endpoint of the app, whether FastAPI keeps included routers flat or nested."""
    found: list[APIRoute] = []

    def walk(routes: list[BaseRoute]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            nested = getattr(route, "original_router", None)
            if nested is not None:
                walk(nested.routes)

    walk(app.routes)
    return found
