"""Administration > Spaces: the account's spaces; create, rename (and recolor), and
delete after a confirmation step."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request, Response

from spacegate.access.guard import SpaceAccess
from spacegate.access.requires import Administration, CreateSpaces, ManageSpace
from spacegate.deps import SessionDep
from spacegate.grants.context import Access
from spacegate.spaces import members as space_members
from spacegate.spaces import service
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import Refusal, back_to, submit
from spacegate.web.templating import redirect

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(verify_csrf)])

# Renaming and deleting are part of CREATE_SPACES; the space must be visible (else 404).
NameField = Annotated[str, Form(max_length=200)]
ColorField = Annotated[str, Form(max_length=16)]


def _field(color: str) -> str:
    """The field a refusal that names none is about: the color when it is not one of
    ours (the select offers only those), the name otherwise (empty, too long, taken)."""
    return "color" if color not in service.COLORS else "name"


def _spaces_page(
    request: Request,
    access: Access,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    refusal: Refusal | None = None,
    after: str | None = None,
) -> Response:
    found = service.visible_spaces(session, access, limit=PAGE + 1, after=after)
    return page(
        request,
        session,
        access,
        "admin_spaces.html",
        status_code=refusal.status_code if refusal else 200,
        nav="spaces",
        spaces=found[:PAGE],
        next_after=found[PAGE - 1].name_key if len(found) > PAGE else None,
        colors=service.COLORS,
        values=values or {"color": service.COLORS[0]},
        errors=refusal.errors if refusal else {},
    )


PAGE = 100


@router.get("/spaces")
def spaces_page(
    request: Request,
    access: Administration,
    session: SessionDep,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Every space of the account, by name, a page at a time."""
    return _spaces_page(request, access, session, after=after.lower() if after else None)


@router.post("/spaces")
def create_space(
    request: Request,
    access: CreateSpaces,
    session: SessionDep,
    name: NameField,
    color: ColorField = service.COLORS[0],
) -> Response:
    space = submit(
        session,
        lambda: service.create_space(session, access, name=name, color=color, icon=None),
        lambda refusal: _spaces_page(
            request, access, session, values={"name": name, "color": color}, refusal=refusal
        ),
        default=_field(color),
    )
    if isinstance(space, Response):
        return space
    return redirect("/admin/spaces", flash=f"Created the space {space.name}.")


def _space_page(
    request: Request,
    access: SpaceAccess,
    session: SessionDep,
    template: str,
    *,
    values: dict[str, str] | None = None,
    refusal: Refusal | None = None,
    **extra: object,
) -> Response:
    space = access.space
    return page(
        request,
        session,
        access,
        template,
        status_code=refusal.status_code if refusal else 200,
        space=None,  # an Administration page about the space, not one of the space's
        nav="spaces",
        target=space,
        target_url=f"/admin/spaces/{quote(space.name, safe='')}",
        colors=service.COLORS,
        values=values or {"name": space.name, "color": space.color},
        errors=refusal.errors if refusal else {},
        **extra,
    )


@router.get("/spaces/{space}/rename")
def rename_form(request: Request, access: ManageSpace, session: SessionDep) -> Response:
    return _space_page(request, access, session, "admin_space_rename.html")


@router.post("/spaces/{space}/rename")
def rename(
    request: Request,
    access: ManageSpace,
    session: SessionDep,
    name: NameField,
    color: ColorField = "",
) -> Response:
    old = access.space.name
    space = submit(
        session,
        lambda: service.update_space(
            session, access, access.space, name=name, color=color or None, icon=None
        ),
        lambda refusal: _space_page(
            request,
            access,
            session,
            "admin_space_rename.html",
            values={"name": name, "color": color},
            refusal=refusal,
        ),
        default=_field(color or service.COLORS[0]),
    )
    if isinstance(space, Response):
        return space
    done = f"Renamed the space {old} to {space.name}." if space.name != old else "Saved."
    return redirect("/admin/spaces", flash=done)


@router.get("/spaces/{space}/delete")
def delete_confirmation(request: Request, access: ManageSpace, session: SessionDep) -> Response:
    members = space_members.members(session, access.space)
    return _space_page(request, access, session, "admin_space_delete.html", members=len(members))


@router.post("/spaces/{space}/delete")
def delete(access: ManageSpace, session: SessionDep) -> Response:
    name = access.space.name
    done = submit(
        session,
        lambda: service.delete_space(session, access, access.space),
        back_to("/admin/spaces"),
    )
    if isinstance(done, Response):
        return done
    return redirect("/admin/spaces", flash=f"Deleted the space {name} and its memberships.")
