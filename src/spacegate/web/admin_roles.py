"""Administration > Roles: the permission matrix, drawn from the catalog with every
built-in and custom role as a column, and the custom-role editor (rule 7)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response

from spacegate.access.requires import Administration, CreateRoles
from spacegate.authz import CATALOG, Level, PermissionSpec
from spacegate.authz.catalog import permissions_allowed_for_level
from spacegate.deps import SessionDep
from spacegate.errors import Conflict, DomainError, InvalidInput
from spacegate.grants.context import Access
from spacegate.names import clean_name
from spacegate.roles import service
from spacegate.web.confirm import ConfirmedField, ask, confirmed
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import Refusal, submit
from spacegate.web.templating import redirect

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(verify_csrf)])

RoleName = Annotated[str, Path(max_length=200)]
PermissionsField = Annotated[list[str], Form(max_length=100)]

GROUP_TITLES = {Level.ACCOUNT: "Account permissions", Level.SPACE: "Space permissions"}


@dataclass(frozen=True)
class PermissionGroup:
    """One band of the matrix, or of the editor's checkboxes: the catalog's rows of one
    level, in catalog order."""

    level: Level
    title: str
    rows: tuple[PermissionSpec, ...]


def permission_groups(role_level: Level | None = None) -> list[PermissionGroup]:
    """The whole catalog by level; with `role_level`, only the permissions a custom role
    of that level may hold (a space role holds no account permission)."""
    allowed = permissions_allowed_for_level(role_level or Level.ACCOUNT)
    groups = [
        PermissionGroup(level, GROUP_TITLES[level], tuple(s for s in CATALOG if s.level is level))
        for level in (Level.ACCOUNT, Level.SPACE)
    ]
    return [g for g in groups if any(spec.id in allowed for spec in g.rows)]


@dataclass(frozen=True)
class RoleForm:
    """What the editor's fields hold: a role's values, or what was just submitted."""

    name: str = ""
    description: str = ""
    level: Level = Level.SPACE
    template: str = ""
    permissions: tuple[str, ...] = ()

    @classmethod
    def of(cls, role: service.RoleRef) -> RoleForm:
        ticked = tuple(s.id.value for s in CATALOG if s.id in role.permissions)
        return cls(role.name, role.description, role.level, "", ticked)


def _role_url(name: str) -> str:
    return f"/admin/roles/{quote(name, safe='')}"


@router.get("/roles")
def roles_page(request: Request, access: Administration, session: SessionDep) -> Response:
    roles = service.list_roles(session, access.caller.account_id)
    return page(
        request,
        session,
        access,
        "admin_roles.html",
        nav="roles",
        roles=roles,
        custom_roles=[role for role in roles if role.builtin is None],
        groups=permission_groups(),
    )


def _form_page(
    request: Request,
    access: Access,
    session: SessionDep,
    form: RoleForm,
    *,
    role: service.RoleRef | None,
    errors: dict[str, str] | None = None,
    refusal: DomainError | None = None,
    status_code: int = 200,
) -> Response:
    """The editor: `role` None for a new role, else the custom role being edited."""
    return page(
        request,
        session,
        access,
        "admin_role_form.html",
        status_code=status_code,
        nav="roles",
        role=role,
        levels=list(Level),
        groups=permission_groups(form.level),
        templates=service.list_roles(session, access.caller.account_id),
        values=form,
        checked=set(form.permissions),
        errors=errors or {},
        refusal=refusal,
        assignments=refusal.details.get("assignments", []) if refusal else [],
        action=_role_url(role.name) if role else "/admin/roles/new",
    )


def _name_error(name: str) -> dict[str, str]:
    try:
        clean_name(name, "role")
    except InvalidInput as error:
        return {"name": error.message}
    return {}


def _redisplay(
    request: Request,
    access: Access,
    session: SessionDep,
    form: RoleForm,
    role: service.RoleRef | None,
) -> Callable[[Refusal], Response]:
    """The editor again after a refusal, at the field it names; one that names none is
    about the ticked permissions, or (a clash of names) about the name."""

    def redisplay(refusal: Refusal) -> Response:
        errors = refusal.errors
        if "form" in errors:
            field = "name" if isinstance(refusal.error, Conflict) else "permissions"
            errors = {field: errors["form"]}
        return _form_page(
            request,
            access,
            session,
            form,
            role=role,
            errors=errors,
            status_code=refusal.status_code,
        )

    return redisplay


@router.get("/roles/new")
def new_role_form(
    request: Request,
    access: CreateRoles,
    session: SessionDep,
    level: Annotated[Level, Query()] = Level.SPACE,
    template: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """ "Start from a template" is a GET: it reloads the form with that role's
    permissions (those valid for the level) ticked, without any script."""
    errors: dict[str, str] = {}
    ticked: tuple[str, ...] = ()
    if template:
        source = service.find_role(session, access.caller.account_id, template)
        if source is None:
            errors["template"] = f"There is no role named '{template}' to start from."
        else:
            allowed = source.permissions & permissions_allowed_for_level(level)
            ticked = tuple(s.id.value for s in CATALOG if s.id in allowed)
    form = RoleForm(level=level, template=template, permissions=ticked)
    return _form_page(request, access, session, form, role=None, errors=errors)


@router.post("/roles/new")
def create_role(
    request: Request,
    access: CreateRoles,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)],
    level: Annotated[Level, Form()],
    description: Annotated[str, Form(max_length=500)] = "",
    template: Annotated[str, Form(max_length=200)] = "",
    permissions: PermissionsField = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    form = RoleForm(name, description, level, template, tuple(permissions))
    errors = _name_error(name)
    if errors:
        return _form_page(request, access, session, form, role=None, errors=errors, status_code=422)
    role = submit(
        session,
        # The ticked boxes are the whole set: the template only pre-ticked them.
        lambda: service.create_role(
            session,
            access,
            name=name,
            description=description,
            level=level,
            permissions=permissions,
            template=None,
        ),
        _redisplay(request, access, session, form, None),
    )
    if isinstance(role, Response):
        return role
    return redirect("/admin/roles", flash=f"Created the {level.value} role {role.name}.")


def _custom_role(session: SessionDep, access: Access, name: str) -> service.RoleRef:
    """The custom role named `name`; NotFound, or Forbidden for a built-in role."""
    account_id = access.caller.account_id
    service.get_custom_role(session, account_id, name)
    role = service.find_role(session, account_id, name)
    assert role is not None and role.builtin is None, "get_custom_role found it"
    return role


@router.get("/roles/{name}")
def edit_role_form(
    request: Request, name: RoleName, access: CreateRoles, session: SessionDep
) -> Response:
    role = _custom_role(session, access, name)
    return _form_page(request, access, session, RoleForm.of(role), role=role)


@router.post("/roles/{name}")
def update_role(
    request: Request,
    name: RoleName,
    access: CreateRoles,
    session: SessionDep,
    new_name: Annotated[str, Form(alias="name", max_length=200)],
    description: Annotated[str, Form(max_length=500)] = "",
    permissions: PermissionsField = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    role = _custom_role(session, access, name)
    form = RoleForm(new_name, description, role.level, "", tuple(permissions))
    errors = _name_error(new_name)
    if errors:
        return _form_page(request, access, session, form, role=role, errors=errors, status_code=422)
    updated = submit(
        session,
        lambda: service.update_role(
            session, access, name, name=new_name, description=description, permissions=permissions
        ),
        _redisplay(request, access, session, form, role),
    )
    if isinstance(updated, Response):
        return updated
    return redirect("/admin/roles", flash=f"Saved the role {updated.name}.")


@router.post("/roles/{name}/delete")
def delete_role(
    request: Request,
    name: RoleName,
    access: CreateRoles,
    session: SessionDep,
    confirmed_: ConfirmedField = "",
) -> Response:
    role = _custom_role(session, access, name)
    if not confirmed(confirmed_):
        return ask(
            request,
            session,
            access,
            nav="roles",
            title=f"Delete the role {role.name}?",
            question="A role still given to someone cannot be deleted; you will be told where.",
            action=f"{_role_url(role.name)}/delete",
            fields={},
            button="Delete role",
            cancel=_role_url(role.name),
        )
    # Rule 7: refused while assigned (RoleInUse); the editor lists where, so it can be fixed.
    done = submit(
        session,
        lambda: service.delete_role(session, access, name),
        lambda refusal: _form_page(
            request,
            access,
            session,
            RoleForm.of(role),
            role=role,
            refusal=refusal.error,
            status_code=refusal.status_code,
        ),
    )
    if isinstance(done, Response):
        return done
    return redirect("/admin/roles", flash=f"Deleted the role {role.name}.")
