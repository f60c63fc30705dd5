"""The permission catalog, role listings, and custom roles (`/api/settings`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from spacegate.access.requires import CreateRoles, SignedInAccess
from spacegate.authz import CATALOG, BuiltinRole, Level
from spacegate.authz.masks import mask_of, sorted_permissions
from spacegate.deps import SessionDep
from spacegate.errors import NotFound
from spacegate.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, page_by_name
from spacegate.roles import service
from spacegate.roles.schemas import PermissionOut, RoleCreate, RoleOut, RoleUpdate

router = APIRouter(prefix="/api/settings", tags=["Roles and permissions"])

RoleName = Annotated[str, Path(max_length=200, description="The role's name.")]


def role_out(role: service.RoleRef) -> RoleOut:
    return RoleOut(
        name=role.name,
        description=role.description,
        level=role.level,
        builtin=role.builtin is not None,
        permissions=[p.value for p in sorted_permissions(mask_of(role.permissions))],
    )


def _role_order(role: service.RoleRef) -> str:
    """The order of the role lists: the built-in roles as the catalog lists them, then
    the custom roles by name."""
    if role.builtin is not None:
        return f"0{[r.value for r in BuiltinRole].index(role.builtin):02d}"
    return "1" + role.name.lower()


@router.get("/permissions", summary="The permission catalog", response_model=list[PermissionOut])
def permissions(_access: SignedInAccess) -> list[PermissionOut]:
    """Every permission id with its label and level, and the built-in roles holding it."""
    return [
        PermissionOut(
            id=spec.id.value,
            label=spec.label,
            level=spec.level,
            description=spec.description,
            builtin_roles=sorted(role.value for role in spec.holders),
        )
        for spec in CATALOG
    ]


def _roles_page(
    session: SessionDep,
    access: SignedInAccess,
    level: Level | None,
    response: Response,
    limit: int,
    cursor: str | None,
) -> list[RoleOut]:
    roles = service.list_roles(session, access.caller.account_id, level)
    return [role_out(role) for role in page_by_name(roles, _role_order, limit, cursor, response)]


@router.get(
    "/accountroles", summary="Account roles, built-in and custom", response_model=list[RoleOut]
)
def account_roles(
    access: SignedInAccess,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[RoleOut]:
    """The built-in account roles, then the custom ones by name; paged."""
    return _roles_page(session, access, Level.ACCOUNT, response, limit, cursor)


@router.get("/spaceroles", summary="Space roles, built-in and custom", response_model=list[RoleOut])
def space_roles(
    access: SignedInAccess,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[RoleOut]:
    """The built-in space roles, then the custom ones by name; paged."""
    return _roles_page(session, access, Level.SPACE, response, limit, cursor)


@router.get("/roles", summary="All roles, built-in and custom", response_model=list[RoleOut])
def list_roles(
    access: SignedInAccess,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[RoleOut]:
    """The built-in roles, then the custom ones by name; paged."""
    return _roles_page(session, access, None, response, limit, cursor)


@router.post("/roles", summary="Create a custom role", response_model=RoleOut, status_code=201)
def create_role(
    body: RoleCreate,
    access: CreateRoles,
    session: SessionDep,
) -> RoleOut:
    """Permissions are checked against the level (a space role holds space permissions
    only) and against the creator's own (no escalation). With `template`, the role
    starts from that role's permissions, plus any listed in `permissions`."""
    role = service.create_role(
        session,
        access,
        name=body.name,
        description=body.description,
        level=body.level,
        permissions=body.permissions,
        template=body.template,
    )
    return role_out(role)


@router.get("/roles/{name}", summary="One role", response_model=RoleOut)
def get_role(name: RoleName, access: SignedInAccess, session: SessionDep) -> RoleOut:
    role = service.find_role(session, access.caller.account_id, name)
    if role is None:
        raise NotFound(f"There is no role named '{name}'.")
    return role_out(role)


@router.put("/roles/{name}", summary="Edit a custom role", response_model=RoleOut)
def update_role(
    name: RoleName,
    body: RoleUpdate,
    access: CreateRoles,
    session: SessionDep,
) -> RoleOut:
    """Built-in roles cannot be edited (403). Permission changes apply to every holder
    at their next request."""
    role = service.update_role(
        session,
        access,
        name,
        name=body.name,
        description=body.description,
        permissions=body.permissions,
    )
    return role_out(role)


@router.delete(
    "/roles/{name}",
    summary="Delete a custom role",
    status_code=204,
    responses={409: {"description": "The role is still assigned; the error lists where."}},
)
def delete_role(
    name: RoleName,
    access: CreateRoles,
    session: SessionDep,
) -> Response:
    service.delete_role(session, access, name)
    return Response(status_code=204)
