"""Home, a space's overview, and its Settings > Users (the seed's "Add Existing Users
to Your Space")."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request, Response

from spacegate.access.guard import SpaceAccess
from spacegate.access.requires import ManageSpaceUsers, SignedInAccess, ViewSpace
from spacegate.authz import Level
from spacegate.authz.masks import sorted_permissions
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import InvalidInput
from spacegate.roles.service import list_roles
from spacegate.spaces import service
from spacegate.users import service as users
from spacegate.web.console import Console, page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import Refusal, submit
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _users_url(access: SpaceAccess) -> str:
    return f"/spaces/{quote(access.space.name, safe='')}/settings/users"


@router.get("/")
def home(
    request: Request,
    access: SignedInAccess,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    console = Console.of(session, access)
    roles = {
        view.space_name: view.space_role
        for view in users.views(session, access.caller.account_id, [console.user])[
            0
        ].member_in_spaces
    }
    fallback = (
        "Account Admin (full access)"
        if console.may("FULL_ACCESS_ALL_SPACES")
        else "Through my account role"
    )
    rows = [(space, roles.get(space.name, fallback)) for space in console.spaces]
    return console.page(request, "home.html", {"rows": rows, "nav": "home"})


@router.get("/spaces/{space}")
def space_overview(request: Request, access: ViewSpace, session: SessionDep) -> Response:
    return page(
        request,
        session,
        access,
        "space.html",
        tab="overview",
        members=service.members(session, access.space),
        permissions=[p.value for p in sorted_permissions(access.mask(access.space.id))],
    )


def _settings_page(
    request: Request,
    access: SpaceAccess,
    session: SessionDep,
    template: str,
    *,
    status_code: int = 200,
    **extra: object,
) -> Response:
    return page(
        request,
        session,
        access,
        template,
        status_code=status_code,
        tab="settings",
        members=service.members(session, access.space),
        roles=list_roles(session, access.caller.account_id, Level.SPACE),
        **extra,
    )


@router.get("/spaces/{space}/settings/users")
def space_users(request: Request, access: ManageSpaceUsers, session: SessionDep) -> Response:
    return _settings_page(request, access, session, "space_users.html")


@router.get("/spaces/{space}/settings/users/add")
def add_users_form(
    request: Request,
    access: ManageSpaceUsers,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=254)] = None,
) -> Response:
    candidates = service.candidates(session, access.space, q, 200)
    return _settings_page(
        request, access, session, "space_users_add.html", candidates=candidates, q=q
    )


@router.post("/spaces/{space}/settings/users/add")
def add_users(
    request: Request,
    access: ManageSpaceUsers,
    session: SessionDep,
    emails: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006 (FastAPI copies defaults)
    space_role: Annotated[str, Form(max_length=200)] = "Space Member",
) -> Response:

    def add_each() -> None:
        if not emails:
            raise InvalidInput("Select at least one user to add.", field="emails")
        for email in emails:
            service.add_member(session, access, access.space, email=email, space_role=space_role)

    def redisplay(refusal: Refusal) -> Response:
        return _settings_page(
            request,
            access,
            session,
            "space_users_add.html",
            status_code=refusal.status_code,
            candidates=service.candidates(session, access.space, None, 200),
            chosen=set(emails),
            chosen_role=space_role,
            error=refusal.message,
        )

    done = submit(session, add_each, redisplay)
    if isinstance(done, Response):
        return done
    added = ", ".join(emails)
    return redirect(_users_url(access), flash=f"Added {added} as {space_role}.")


@router.post("/spaces/{space}/settings/users/role")
def change_role(
    access: ManageSpaceUsers,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
    space_role: Annotated[str, Form(max_length=200)],
) -> Response:
    service.set_member_role(session, access, access.space, email, space_role)
    return redirect(_users_url(access), flash=f"{email} is now {space_role}.")


@router.post("/spaces/{space}/settings/users/remove")
def remove_member(
    access: ManageSpaceUsers, session: SessionDep, email: Annotated[str, Form(max_length=254)]
) -> Response:
    service.remove_member(session, access, access.space, email)
    return redirect(_users_url(access), flash=f"Removed {email} from {access.space.name}.")
