"""The console's menus as data: the areas of Administration (its tabs) and the sections
of a space (its tabs, and its entries in the left menu). Adding a tab is one line here.

A menu only hides what the user may not do; every page is still guarded by its route.
An area whose page is not served by this installation (Groups, before it exists) is
left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route


@dataclass(frozen=True)
class Area:
    """One tab of Administration: shown to holders of any of `permissions` (none: to
    everyone who reaches Administration) when the app serves `path`."""

    key: str  # the `nav` value of its pages
    title: str
    path: str
    summary: str
    permissions: tuple[str, ...] = ()


ADMIN_AREAS = (
    Area("users", "Users", "/admin/users", "Who is in the account, their roles and invitations."),
    Area("groups", "Groups", "/admin/groups", "Groups of users, and the roles they give."),
    Area("roles", "Roles", "/admin/roles", "What each role may do; custom roles."),
    Area("spaces", "Spaces", "/admin/spaces", "Create, rename and delete spaces."),
    Area(
        "cloudaccounts",
        "Cloud Accounts",
        "/admin/cloudaccounts",
        "Cloud accounts and Kubernetes clusters, and the spaces that use them.",
        ("ADD_REMOVE_CLOUD_ACCOUNTS",),
    ),
    Area(
        "tags",
        "Tags",
        "/admin/tags",
        "The account's tags and their default values.",
        ("MANAGE_ACCOUNT_TAGS",),
    ),
    Area(
        "idp",
        "Identity provider",
        "/admin/idp",
        "Single sign-on (OIDC or SAML) and SCIM provisioning.",
        ("INTEGRATE_IDP",),
    ),
    Area("audit", "Audit log", "/admin/audit", "Every change, who made it and when."),
)
ADMIN_KEYS = frozenset(area.key for area in ADMIN_AREAS) | {"administration"}


@dataclass(frozen=True)
class Section:
    """One tab of a space: shown to holders of any of `permissions` in the space."""

    key: str  # the `tab` value of its pages
    title: str
    path: str  # after /spaces/<name>
    permissions: tuple[str, ...]


SPACE_SECTIONS = (
    Section("overview", "Overview", "", ("VIEW_SPACE",)),
    Section("catalog", "Catalog", "/catalog", ("BROWSE_CATALOG",)),
    Section("environments", "Environments", "/environments", ("VIEW_SPACE",)),
    Section(
        "blueprints", "Blueprints", "/blueprints", ("PUBLISH_BLUEPRINTS", "MANAGE_BLUEPRINT_TAGS")
    ),
    Section("repositories", "Repositories", "/repositories", ("SETUP_BLUEPRINT_REPOSITORIES",)),
    Section("cost", "Cost", "/cost", ("VIEW_COST_DATA",)),
)
SETTINGS_SECTIONS = (
    Section("users", "Users", "/settings/users", ("MANAGE_SPACE_USERS",)),
    Section("tags", "Tags", "/settings/tags", ("MANAGE_SPACE_TAGS",)),
    Section("policies", "Policies", "/settings/policies", ("MANAGE_SPACE_POLICIES",)),
)


@dataclass(frozen=True)
class Link:
    key: str
    title: str
    url: str
    summary: str = ""


def space_url(name: str, path: str = "") -> str:
    return f"/spaces/{quote(name, safe='')}{path}"


def served_paths(app: Starlette) -> frozenset[str]:
    """The paths of the app's GET routes, read once per app."""
    cached: frozenset[str] | None = getattr(app.state, "console_paths", None)
    if cached is None:
        found: set[str] = set()

        def walk(routes: list[BaseRoute], prefix: str) -> None:
            for route in routes:
                if isinstance(route, Route) and "GET" in (route.methods or ()):
                    found.add(prefix + route.path)
                nested = getattr(route, "original_router", None)
                if nested is not None:  # an included router: its routes carry its prefix
                    context = getattr(route, "include_context", None)
                    walk(nested.routes, prefix + str(getattr(context, "prefix", "") or ""))

        walk(app.routes, "")
        cached = frozenset(found)
        app.state.console_paths = cached
    return cached
