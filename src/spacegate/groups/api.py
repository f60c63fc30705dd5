"""Groups (`/api/groups`), as in Torque: members get the group's account role and its
role in each of its spaces. Every route needs MANAGE_ACCOUNT_USERS; granting through a
group needs what granting the same role directly needs (rule 4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from spacegate.access.requires import ManageAccountUsers
from spacegate.deps import SessionDep
from spacegate.groups import service
from spacegate.groups.schemas import GroupIn, GroupOut, GroupUpdate
from spacegate.groups.views import views
from spacegate.pagination import CursorQuery, LimitQuery, decode_cursor, set_next_cursor

router = APIRouter(prefix="/api/groups", tags=["Groups"])

Name = Annotated[str, Path(max_length=200, description="The group's name.")]
Email = Annotated[str, Path(max_length=254, description="The user's email address.")]


@router.get("", summary="List the account's groups", response_model=list[GroupOut])
def list_groups(
    access: ManageAccountUsers,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> list[GroupOut]:
    """Paginated by `limit`; when more follow, `X-Next-Cursor` holds the next page's cursor."""
    account_id = access.caller.account_id
    groups = service.list_groups(session, account_id, limit=limit, after_id=decode_cursor(cursor))
    set_next_cursor(response, [group.id for group in groups], limit)
    return [GroupOut.of(view) for view in views(session, account_id, groups)]


@router.post("", summary="Create a group", response_model=GroupOut, status_code=201)
def create_group(body: GroupIn, access: ManageAccountUsers, session: SessionDep) -> GroupOut:
    """409 when the name or the identity provider's id is taken; 403 when a role of the
    group is one the caller could not grant directly (rule 4)."""
    return GroupOut.of(service.create_group(session, access, body.spec(body.name)))


@router.get("/{name}", summary="One group, with its roles and members", response_model=GroupOut)
def get_group(name: Name, access: ManageAccountUsers, session: SessionDep) -> GroupOut:
    group = service.get_group(session, access.caller.account_id, name)
    return GroupOut.of(views(session, access.caller.account_id, [group])[0])


@router.put("/{name}", summary="Replace a group's definition", response_model=GroupOut)
def update_group(
    name: Name, body: GroupUpdate, access: ManageAccountUsers, session: SessionDep
) -> GroupOut:
    """The body replaces the group's name (when given), description, identity provider
    id, account role and space roles; `users`, when given, replaces its members. 409
    when the change would leave the account without an active Account Admin."""
    spec = body.spec(body.name if body.name is not None else name)
    return GroupOut.of(service.update_group(session, access, name, spec))


@router.delete("/{name}", summary="Delete a group", status_code=204)
def delete_group(name: Name, access: ManageAccountUsers, session: SessionDep) -> Response:
    """Its members lose the group's roles; 409 when that takes the last Account Admin."""
    service.delete_group(session, access, name)
    return Response(status_code=204)


@router.put("/{name}/users/{email}", summary="Add a user to a group", response_model=GroupOut)
def add_member(
    name: Name, email: Email, access: ManageAccountUsers, session: SessionDep
) -> GroupOut:
    """The user gets the group's roles: the caller must be able to grant them (rule 4).
    Adding a member twice changes nothing."""
    return GroupOut.of(service.add_member(session, access, name, email))


@router.delete("/{name}/users/{email}", summary="Remove a user from a group", status_code=204)
def remove_member(
    name: Name, email: Email, access: ManageAccountUsers, session: SessionDep
) -> Response:
    """Refused (409) like a demotion when it takes the last active Account Admin."""
    service.remove_member(session, access, name, email)
    return Response(status_code=204)
