"""What every signed-in console page shows around its content: who is signed in, the
spaces in the sidebar, and which areas the navigation offers. The navigation only hides
what the user may not do; every action is still checked by the route's guard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from spacegate.access.guard import SpaceAccess
from spacegate.authz import Permission
from spacegate.grants.context import Access
from spacegate.spaces.models import Space
from spacegate.spaces.service import visible_spaces
from spacegate.users.models import User
from spacegate.users.service import get_user
from spacegate.web.navigation import (
    ADMIN_AREAS,
    SETTINGS_SECTIONS,
    SPACE_SECTIONS,
    Link,
    served_paths,
    space_url,
)
from spacegate.web.templating import render

SIDEBAR_SPACES = 50
"""The menu lists this many of the user's spaces (by name); Home lists them all, paged."""

SPACE_SUGGESTIONS = 500
"""A form that takes a space's name suggests this many of the caller's spaces (by name);
any other is typed."""


def space_suggestions(session: Session, access: Access) -> list[str]:
    """The names a space-name field suggests: the first of the spaces the caller sees."""
    return [space.name for space in visible_spaces(session, access, limit=SPACE_SUGGESTIONS)]


@dataclass(frozen=True)
class Console:
    access: Access
    user: User
    spaces: list[Space]
    """The spaces of the menu: the first SIDEBAR_SPACES the user sees, and the current
    one wherever it falls."""
    more_spaces: bool = False

    @classmethod
    def of(cls, session: Session, access: Access, current: Space | None = None) -> Console:
        user = get_user(session, access.caller.account_id, access.caller.email)
        spaces = visible_spaces(session, access, limit=SIDEBAR_SPACES + 1)
        more = len(spaces) > SIDEBAR_SPACES
        spaces = spaces[:SIDEBAR_SPACES]
        if current is not None and all(space.id != current.id for space in spaces):
            spaces.append(current)
        return cls(access, user, spaces, more)

    @property
    def can_admin(self) -> bool:
        return self.access.has(Permission.ACCESS_ADMINISTRATION)

    def may(self, permission: str, space: Space | None = None) -> bool:
        return self.access.has(Permission(permission), space.id if space else None)

    def may_any(self, permissions: tuple[str, ...], space: Space | None = None) -> bool:
        return any(self.may(permission, space) for permission in permissions)

    def admin_links(self, request: Request) -> list[Link]:
        """The Administration tabs this user may open, of the areas the app serves."""
        if not self.can_admin:
            return []
        served = served_paths(request.app)
        return [
            Link(area.key, area.title, area.path, area.summary)
            for area in ADMIN_AREAS
            if area.path in served and (not area.permissions or self.may_any(area.permissions))
        ]

    def space_links(self, space: Space) -> list[Link]:
        """The space's tabs this user may open, Settings last (at its first page they
        may open)."""
        links = [
            Link(section.key, section.title, space_url(space.name, section.path))
            for section in SPACE_SECTIONS
            if self.may_any(section.permissions, space)
        ]
        settings = self.settings_links(space)
        if settings:
            links.append(Link("settings", "Settings", settings[0].url))
        return links

    def settings_links(self, space: Space) -> list[Link]:
        return [
            Link(section.key, section.title, space_url(space.name, section.path))
            for section in SETTINGS_SECTIONS
            if self.may_any(section.permissions, space)
        ]

    def page(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        values = {"console": self, "admin_links": self.admin_links(request), **(context or {})}
        return render(request, template, values, status_code=status_code)


def page(
    request: Request,
    session: Session,
    access: Access,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The one way to draw a signed-in console page: `template` with the navigation
    context (who is signed in, their spaces, what the menus offer) and `context`. A page
    reached through a space's guard (a `SpaceAccess`) is that space's: its tabs show.
    `nav` names the current place in the menus (an Administration tab: "users"), `tab`
    the current tab of a space."""
    current = access.space if isinstance(access, SpaceAccess) else None
    if current is not None:
        context.setdefault("space", current)
    console = Console.of(session, access, current)
    return console.page(request, template, context, status_code=status_code)
