"""Account users (`/api/accounts/users`) and the caller (`/api/me`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from spacegate.access.requires import (
    Administration,
    InviteUsers,
    ManageAccountUsers,
    SignedInAccess,
)
from spacegate.authz import SPEC_BY_ID, BuiltinRole, Level
from spacegate.authz.masks import sorted_permissions
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.groups.views import groups_of
from spacegate.pagination import CursorQuery, LimitQuery, decode_cursor, set_next_cursor
from spacegate.roles.service import custom_role_names, role_name
from spacegate.spaces import members as space_members
from spacegate.spaces import service as spaces
from spacegate.users import service
from spacegate.users.models import UserStatus
from spacegate.users.schemas import (
    GroupRolesOut,
    MeOut,
    SpacePermissionsOut,
    SpaceRoleOut,
    UserCreate,
    UserOut,
)

router = APIRouter(prefix="/api", tags=["Users"])

Email = Annotated[str, Path(max_length=254, description="The user's email address.")]


@router.get("/accounts/users", summary="List the account's users", response_model=list[UserOut])
def list_users(
    access: Administration,
    session: SessionDep,
    response: Response,
    q: Annotated[str | None, Query(max_length=254, description="Search in email and name.")] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> list[UserOut]:
    """Paginated by `limit`; when more follow, `X-Next-Cursor` holds the next page's cursor."""
    users = service.list_users(
        session, access.caller.account_id, query=q, limit=limit, after_id=decode_cursor(cursor)
    )
    set_next_cursor(response, [user.id for user in users], limit)
    return [
        UserOut.of(view)
        for view in space_members.user_views(session, access.caller.account_id, users)
    ]


@router.get("/accounts/users/{email}", summary="One user", response_model=UserOut)
def get_user(email: Email, access: Administration, session: SessionDep) -> UserOut:
    user = service.get_user(session, access.caller.account_id, email)
    return UserOut.of(space_members.user_view(session, user))


@router.post(
    "/accounts/users",
    summary="Add a user without an invitation",
    response_model=UserOut,
    status_code=201,
    responses={409: {"description": "The email is already a user of the account."}},
)
def add_user(
    body: UserCreate,
    access: InviteUsers,
    session: SessionDep,
    runtime: RuntimeDep,
) -> UserOut:
    """As in Torque, API only. The `Admin` account role also needs INVITE_ACCOUNT_ADMINS,
    and no role may hold permissions the caller lacks."""
    user = service.add_user(
        session,
        access,
        runtime.passwords,
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        password=body.password,
        account_role=body.account_role,
        refused_domains=runtime.settings.refused_email_domains,
    )
    return UserOut.of(space_members.user_view(session, user))


@router.delete(
    "/accounts/users/{email}",
    summary="Remove a user from the account",
    status_code=204,
    responses={409: {"description": "The last active Account Admin cannot be removed."}},
)
def remove_user(email: Email, access: ManageAccountUsers, session: SessionDep) -> Response:
    """Also ends every session and API token of the user at once."""
    service.remove_user(session, access, email)
    return Response(status_code=204)


@router.put(
    "/accounts/users/{email}/account_role", summary="Set the account role", response_model=UserOut
)
def set_account_role(
    email: Email,
    access: ManageAccountUsers,
    session: SessionDep,
    value: Annotated[
        str, Query(max_length=200, description="`Admin`, `Member` or a custom account role.")
    ],
) -> UserOut:
    user = service.set_account_role(session, access, email, value)
    return UserOut.of(space_members.user_view(session, user))


@router.delete(
    "/accounts/users/{email}/account_role",
    summary="Reset the account role to Member",
    response_model=UserOut,
)
def unset_account_role(email: Email, access: ManageAccountUsers, session: SessionDep) -> UserOut:
    user = service.set_account_role(session, access, email, BuiltinRole.MEMBER.value)
    return UserOut.of(space_members.user_view(session, user))


@router.put(
    "/accounts/users/{email}/status",
    summary="Deactivate or reactivate a user",
    response_model=UserOut,
)
def set_status(
    email: Email,
    access: ManageAccountUsers,
    session: SessionDep,
    value: Annotated[Literal["active", "inactive"], Query(description="`inactive` or `active`.")],
) -> UserOut:
    """Deactivation keeps the user and their roles but ends their tokens and blocks
    sign-in; the last active Account Admin cannot be deactivated (409)."""
    user = service.set_status(session, access, email, UserStatus(value))
    return UserOut.of(space_members.user_view(session, user))


@router.get("/me", summary="Who am I, and what may I do", response_model=MeOut)
def me(access: SignedInAccess, session: SessionDep, runtime: RuntimeDep) -> MeOut:
    """The access.caller, their account role and account permissions, and each space they see
    with their role and effective permissions there."""
    user = service.get_user(session, access.caller.account_id, access.caller.email)
    names = custom_role_names(session, access.caller.account_id)
    space_roles = {
        view.space_name: view.space_role
        for view in space_members.user_view(session, user).member_in_spaces
    }
    return MeOut(
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        account_name=access.caller.account_name,
        account_role=role_name(user.account_role, user.account_custom_role_id, names),
        account_permissions=[
            p.value
            for p in sorted_permissions(access.mask())
            if SPEC_BY_ID[p].level is Level.ACCOUNT
        ],
        spaces=[
            SpacePermissionsOut(
                space_name=space.name,
                space_role=space_roles.get(space.name),
                permissions=[p.value for p in sorted_permissions(access.mask(space.id))],
            )
            for space in spaces.visible_spaces(session, access)
        ],
        groups=[
            GroupRolesOut(
                name=view.group.name,
                account_role=view.account_role,
                space_roles=[
                    SpaceRoleOut(space_name=s.space_name, space_role=s.space_role)
                    for s in view.space_roles
                ],
            )
            for view in groups_of(session, user)
        ],
    )
