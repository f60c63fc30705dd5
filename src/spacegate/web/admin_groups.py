"""Administration > Groups: the account's groups, their roles and members. Every page
and form needs MANAGE_ACCOUNT_USERS; the groups service holds rules 4 and 5."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, Response

from spacegate.access.requires import ManageAccountUsers
from spacegate.authz import Level
from spacegate.deps import SessionDep
from spacegate.errors import DomainError
from spacegate.grants.context import Access
from spacegate.groups import service
from spacegate.groups.service import GroupSpec
from spacegate.groups.views import views
from spacegate.roles.service import list_roles
from spacegate.web.console import Console, space_suggestions
from spacegate.web.csrf import verify_csrf
from spacegate.web.templating import redirect

router = APIRouter(
    prefix="/admin/groups", include_in_schema=False, dependencies=[Depends(verify_csrf)]
)

EMPTY_SPACE_ROWS = 2
Text = Annotated[str, Form(max_length=500)]
Name = Annotated[str, Form(max_length=200)]


def _group_url(name: str) -> str:
    return f"/admin/groups/{quote(name, safe='')}"


def _list_page(
    request: Request,
    access: Access,
    session: SessionDep,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    account_id = access.caller.account_id
    groups = service.list_groups(session, account_id, limit=500, after_id=None)
    return Console.of(session, access).page(
        request,
        "admin_groups.html",
        {
            "nav": "groups",
            "groups": views(session, account_id, groups),
            "account_roles": list_roles(session, account_id, Level.ACCOUNT),
            "error": error,
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("")
def groups_page(request: Request, access: ManageAccountUsers, session: SessionDep) -> Response:
    return _list_page(request, access, session)


@router.post("/new")
def create_group(
    request: Request,
    access: ManageAccountUsers,
    session: SessionDep,
    name: Name,
    description: Text = "",
    idp_identifier: Annotated[str, Form(max_length=256)] = "",
    account_role: Name = "",
) -> Response:
    spec = GroupSpec(name, description, idp_identifier or None, account_role or None)
    try:
        view = service.create_group(session, access, spec)
    except DomainError as error:
        session.rollback()
        values = {"name": name, "description": description, "idp_identifier": idp_identifier}
        return _list_page(
            request,
            access,
            session,
            error=error.message,
            values=values,
            status_code=error.status_code,
        )
    return redirect(_group_url(view.group.name), flash=f"The group {view.group.name} is created.")


def _group_page(
    request: Request,
    access: Access,
    session: SessionDep,
    name: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    account_id = access.caller.account_id
    group = service.get_group(session, account_id, name)
    console = Console.of(session, access)
    view = views(session, account_id, [group])[0]
    return console.page(
        request,
        "admin_group.html",
        {
            "nav": "groups",
            "view": view,
            "space_suggestions": space_suggestions(session, access),
            "account_roles": list_roles(session, account_id, Level.ACCOUNT),
            "space_roles": list_roles(session, account_id, Level.SPACE),
            "empty_rows": EMPTY_SPACE_ROWS,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/{name}")
def group_page(
    request: Request, name: str, access: ManageAccountUsers, session: SessionDep
) -> Response:
    return _group_page(request, access, session, name)


@router.post("/{name}/edit")
def edit_group(
    request: Request,
    name: str,
    access: ManageAccountUsers,
    session: SessionDep,
    new_name: Annotated[str, Form(alias="name", max_length=200)],
    description: Text = "",
    idp_identifier: Annotated[str, Form(max_length=256)] = "",
    account_role: Name = "",
    space_name: Annotated[list[str] | None, Form(max_length=200)] = None,
    space_role: Annotated[list[str] | None, Form(max_length=200)] = None,
) -> Response:
    pairs = [
        (space, role)
        for space, role in zip(space_name or [], space_role or [], strict=False)
        if space.strip() and role.strip()
    ]
    spec = GroupSpec(new_name, description, idp_identifier or None, account_role or None, pairs)
    try:
        view = service.update_group(session, access, name, spec)
    except DomainError as error:
        session.rollback()
        return _group_page(
            request, access, session, name, error=error.message, status_code=error.status_code
        )
    return redirect(_group_url(view.group.name), flash=f"The group {view.group.name} is saved.")


@router.post("/{name}/members")
def add_member(
    request: Request,
    name: str,
    access: ManageAccountUsers,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
) -> Response:
    try:
        service.add_member(session, access, name, email)
    except DomainError as error:
        session.rollback()
        return _group_page(
            request, access, session, name, error=error.message, status_code=error.status_code
        )
    return redirect(_group_url(name), flash=f"{email} is now in the group.")


@router.post("/{name}/members/remove")
def remove_member(
    name: str,
    access: ManageAccountUsers,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
) -> Response:
    service.remove_member(session, access, name, email)
    return redirect(_group_url(name), flash=f"{email} is no longer in the group.")


@router.post("/{name}/delete")
def delete_group(name: str, access: ManageAccountUsers, session: SessionDep) -> Response:
    service.delete_group(session, access, name)
    return redirect("/admin/groups", flash=f"The group {name} is deleted.")
