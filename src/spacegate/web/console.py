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
from spacegate.web.templating import render


@dataclass(frozen=True)
class Console:
    access: Access
    user: User
    spaces: list[Space]

    @classmethod
    def of(cls, session: Session, access: Access) -> Console:
        user = get_user(session, access.caller.account_id, access.caller.email)
        return cls(access, user, visible_spaces(session, access))

    @property
    def can_admin(self) -> bool:
        return self.access.has(Permission.ACCESS_ADMINISTRATION)

    def may(self, permission: str, space: Space | None = None) -> bool:
        return self.access.has(Permission(permission), space.id if space else None)

    def page(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        return render(
            request, template, {"console": self, **(context or {})}, status_code=status_code
        )


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
    if isinstance(access, SpaceAccess):
        context.setdefault("space", access.space)
    return Console.of(session, access).page(request, template, context, status_code=status_code)
