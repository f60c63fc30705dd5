"""Spaces and their members (`/api/spaces`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from spacegate.access.requires import (
    CreateSpaces,
    ManageSpace,
    ManageSpaceUsers,
    SignedInAccess,
    ViewSpace,
)
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    decode_name_cursor,
    set_next_name_cursor,
)
from spacegate.spaces import members as space_members
from spacegate.spaces import service
from spacegate.spaces.models import Space
from spacegate.spaces.schemas import (
    CandidateOut,
    MemberAdd,
    MemberOut,
    SpaceCreate,
    SpaceOut,
    SpaceUpdate,
)

router = APIRouter(prefix="/api/spaces", tags=["Spaces"])

Email = Annotated[str, Path(max_length=254, description="The member's email address.")]
# Renaming and deleting a space is part of CREATE_SPACES (PERMISSIONS.md); the space
# must still be visible to the caller, or it answers 404.


def space_out(space: Space) -> SpaceOut:
    return SpaceOut(
        name=space.name, color=space.color, icon=space.icon, created_at=space.created_at
    )


def member_out(view: space_members.MemberView) -> MemberOut:
    return MemberOut(
        email=view.user.email,
        first_name=view.user.first_name,
        last_name=view.user.last_name,
        space_role=view.space_role,
        status=view.user.status,
        added_at=view.joined_at,
    )


@router.get("", summary="Spaces I can see", response_model=list[SpaceOut])
def list_spaces(
    access: SignedInAccess,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[SpaceOut]:
    """The spaces the caller sees, by name; paged (`limit`, `cursor`)."""
    spaces = service.visible_spaces(session, access, limit=limit, after=decode_name_cursor(cursor))
    set_next_name_cursor(response, [space.name_key for space in spaces], limit)
    return [space_out(space) for space in spaces]


@router.post("", summary="Create a space", response_model=SpaceOut, status_code=201)
def create_space(
    body: SpaceCreate,
    access: CreateSpaces,
    session: SessionDep,
) -> SpaceOut:
    return space_out(
        service.create_space(session, access, name=body.name, color=body.color, icon=body.icon)
    )


@router.get("/{space}", summary="One space", response_model=SpaceOut)
def get_space(access: ViewSpace) -> SpaceOut:
    return space_out(access.space)


@router.put("/{space}", summary="Rename or recolor a space", response_model=SpaceOut)
def update_space(body: SpaceUpdate, access: ManageSpace, session: SessionDep) -> SpaceOut:
    space = service.update_space(
        session, access, access.space, name=body.name, color=body.color, icon=body.icon
    )
    return space_out(space)


@router.delete("/{space}", summary="Delete a space", status_code=204)
def delete_space(access: ManageSpace, session: SessionDep) -> Response:
    """Deletes the space and its memberships."""
    service.delete_space(session, access, access.space)
    return Response(status_code=204)


@router.get(
    "/{space}/users", summary="Members and their space roles", response_model=list[MemberOut]
)
def list_members(
    access: ViewSpace,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[MemberOut]:
    """The members by email; paged (`limit`, `cursor`)."""
    views = space_members.members(
        session, access.space, limit=limit, after=decode_name_cursor(cursor)
    )
    set_next_name_cursor(response, [view.user.email_key for view in views], limit)
    return [member_out(view) for view in views]


@router.get(
    "/{space}/users/candidates",
    summary="Account users not yet in the space",
    response_model=list[CandidateOut],
)
def member_candidates(
    access: ManageSpaceUsers,
    session: SessionDep,
    response: Response,
    q: Annotated[str | None, Query(max_length=254, description="Search in email and name.")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size (default 50).")] = 50,
    cursor: CursorQuery = None,
) -> list[CandidateOut]:
    """The picker behind "Add Users": active account users who are not members yet, by
    email; paged (`limit`, `cursor`)."""
    found = space_members.candidates(session, access.space, q, limit, decode_name_cursor(cursor))
    set_next_name_cursor(response, [user.email_key for user in found], limit)
    return [
        CandidateOut(email=user.email, first_name=user.first_name, last_name=user.last_name)
        for user in found
    ]


@router.post(
    "/{space}/users",
    summary="Add an existing account user to the space",
    response_model=MemberOut,
    status_code=201,
)
def add_member(
    body: MemberAdd, access: ManageSpaceUsers, session: SessionDep, runtime: RuntimeDep
) -> MemberOut:
    """The role defaults to `Space Member`. Only users of the account can be added, and
    only with a role whose permissions the caller holds in this space."""
    view = space_members.add_member(
        session,
        access,
        access.space,
        email=body.email,
        space_role=body.space_role,
        refused_domains=runtime.settings.refused_email_domains,
    )
    return member_out(view)


@router.put(
    "/{space}/users/{email}/space_role",
    summary="Change a member's space role",
    response_model=MemberOut,
)
def set_member_role(
    email: Email,
    access: ManageSpaceUsers,
    session: SessionDep,
    value: Annotated[
        str, Query(max_length=200, description="A space role, e.g. `Space Developer`.")
    ],
) -> MemberOut:
    return member_out(space_members.set_member_role(session, access, access.space, email, value))


@router.delete("/{space}/users/{email}", summary="Remove a member from the space", status_code=204)
def remove_member(email: Email, access: ManageSpaceUsers, session: SessionDep) -> Response:
    space_members.remove_member(session, access, access.space, email)
    return Response(status_code=204)


@router.get(
    "/{space}/user_permissions", summary="My permissions in the space", response_model=list[str]
)
def user_permissions(access: ViewSpace) -> list[str]:
    return [p.value for p in service.space_permissions(access, access.space)]
