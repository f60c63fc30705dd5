"""The Administration page (`/admin`): its areas as tabs (Users, Roles, Spaces, ...),
each with what it is for. The seed's procedures start here ("Open the Administration
page")."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from spacegate.access.requires import Administration
from spacegate.deps import SessionDep
from spacegate.web.console import page

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def administration_page(request: Request, access: Administration, session: SessionDep) -> Response:
    return page(request, session, access, "administration.html", nav="administration")
