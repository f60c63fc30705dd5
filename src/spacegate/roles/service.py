"""Role lookup for the whole application, and custom-role management (rule 7)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.authz import BuiltinRole, Level, Permission, RoleKey
from spacegate.authz.catalog import (
    BUILTIN_ROLE_DESCRIPTIONS,
    BUILTIN_ROLE_LEVELS,
    builtin_role,
    builtin_role_permissions,
    permissions_allowed_for_level,
)
from spacegate.authz.masks import effective_account_mask, mask_of, sorted_permissions
from spacegate.consult import ask
from spacegate.errors import Conflict, Forbidden, InvalidInput, NotFound, RoleInUse
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Access
from spacegate.lookalikes import skeleton
from spacegate.names import clean_name
from spacegate.roles.models import CustomRole

ROLE_HOLDERS = "role-holders"
"""Asked (`spacegate.consult.ask`) with a custom role's id before deleting it: the
domains that assign roles (users, spaces) answer where it is held, as sentences."""
ROLE_SCOPES = "role-scopes"
"""Asked with a custom role's id before changing it: the domains that assign roles
answer the scopes it is held in, "account" or a space's id as text."""


@dataclass(frozen=True)
class RoleRef:
    """A role as assignments use it: built-in by name, or custom by id."""

    name: str
    level: Level
    permissions: frozenset[Permission]
    description: str = ""
    builtin: str | None = None
    custom_id: int | None = None

    @property
    def key(self) -> RoleKey:
        return self.builtin if self.builtin is not None else self.custom_id  # type: ignore[return-value]

    @property
    def mask(self) -> int:
        return mask_of(self.permissions)


def _builtin_ref(role: BuiltinRole) -> RoleRef:
    return RoleRef(
        role.value,
        BUILTIN_ROLE_LEVELS[role],
        builtin_role_permissions(role),
        BUILTIN_ROLE_DESCRIPTIONS[role],
        builtin=role.value,
    )


def _custom_ref(role: CustomRole) -> RoleRef:
    return RoleRef(
        role.name,
        Level(role.level),
        frozenset(Permission(p) for p in role.permissions),
        role.description,
        custom_id=role.id,
    )


def list_roles(session: Session, account_id: int, level: Level | None = None) -> list[RoleRef]:
    builtins = [_builtin_ref(role) for role in BuiltinRole]
    customs = [
        _custom_ref(role)
        for role in session.scalars(
            select(CustomRole)
            .where(CustomRole.account_id == account_id)
            .order_by(CustomRole.name_key)
        )
    ]
    return [role for role in builtins + customs if level is None or role.level is level]


def custom_role_names(session: Session, account_id: int) -> dict[int, str]:
    return dict(
        session.execute(
            select(CustomRole.id, CustomRole.name).where(CustomRole.account_id == account_id)
        ).all()
    )


def find_role(session: Session, account_id: int, name: str) -> RoleRef | None:
    builtin = builtin_role(name)
    if builtin is not None:
        return _builtin_ref(builtin)
    custom = session.scalar(
        select(CustomRole).where(
            CustomRole.account_id == account_id, CustomRole.name_key == name.strip().lower()
        )
    )
    return _custom_ref(custom) if custom else None


def assigned_role(session: Session, builtin: str | None, custom_id: int | None) -> RoleRef | None:
    """The role an assignment names (a built-in one by name, or a custom one by id); None
    when it names neither, or a custom role that no longer exists."""
    if builtin is not None:
        role = builtin_role(builtin)
        return _builtin_ref(role) if role is not None else None
    custom = session.get(CustomRole, custom_id) if custom_id is not None else None
    return _custom_ref(custom) if custom is not None else None


def resolve_role(session: Session, account_id: int, name: str, level: Level) -> RoleRef:
    """The role named `name` of the given level, or InvalidInput with a sentence."""
    role = find_role(session, account_id, name)
    if role is None:
        raise InvalidInput(f"There is no {level.value} role named '{name}'.")
    if role.level is not level:
        raise InvalidInput(
            f"'{role.name}' is {_article(role.level)} role, not {_article(level)} role."
        )
    return role


def role_name(builtin: str | None, custom_id: int | None, custom_names: dict[int, str]) -> str:
    if builtin is not None:
        return builtin
    return custom_names.get(custom_id or 0, "")


def ensure_may_grant(access: Access, role: RoleRef, space_id: int | None) -> None:
    """Rule 4: the granted role's permissions must be a subset of the granter's own in
    that scope; only holders of INVITE_ACCOUNT_ADMINS may grant such a role (Admin)."""
    own = access.mask(space_id)
    granted = role.mask
    if role.level is Level.ACCOUNT:
        granted = effective_account_mask(granted)
    makes_admin = (
        Permission.INVITE_ACCOUNT_ADMINS in role.permissions or role.builtin == BuiltinRole.ADMIN
    )
    if makes_admin and not access.has(Permission.INVITE_ACCOUNT_ADMINS):
        raise Forbidden("Only holders of Invite new account admins can grant the Admin role.")
    if granted & ~own:
        missing = ", ".join(sorted_permissions(granted & ~own))
        raise Forbidden(
            f"You cannot grant the role '{role.name}': it holds permissions you do not ({missing})."
        )


def ensure_may_manage_holder(
    access: Access, role: RoleKey, level: Level, space_id: int | None, who: str
) -> None:
    """Rule 4 the other way round: changing or removing someone's role is only for a
    granter whose own permissions cover that role; otherwise a weaker manager could
    strip (or, by deactivation and reactivation, play with) a stronger user."""
    held = access.index.role_mask(role)
    if level is Level.ACCOUNT:
        held = effective_account_mask(held)
    beyond = held & ~access.mask(space_id)
    if beyond:
        missing = ", ".join(sorted_permissions(beyond))
        raise Forbidden(
            f"{who} holds permissions you do not ({missing}); you cannot change or remove "
            "their role."
        )


# -- custom roles ------------------------------------------------------------------------


def _validated_permissions(names: list[str], level: Level) -> frozenset[Permission]:
    allowed = permissions_allowed_for_level(level)
    chosen: set[Permission] = set()
    for name in names:
        try:
            permission = Permission(name)
        except ValueError:
            raise InvalidInput(
                f"There is no permission named '{name}'.", field="permissions"
            ) from None
        if permission not in allowed:
            raise InvalidInput(
                f"{permission.value} is an account permission; a space role cannot hold it.",
                field="permissions",
            )
        chosen.add(permission)
    return frozenset(chosen)


def _ensure_new_name(
    session: Session, account_id: int, name: str, except_id: int | None = None
) -> None:
    """Raises Conflict (409) for a name taken, or one that looks like a name taken (a
    built-in role's included): names are how people recognise what they grant."""
    if builtin_role(name) is not None or name.lower() in {r.value.lower() for r in BuiltinRole}:
        raise Conflict(f"'{name}' is the name of a built-in role.", field="name")
    existing = session.scalar(
        select(CustomRole.id).where(
            CustomRole.account_id == account_id, CustomRole.name_key == name.lower()
        )
    )
    if existing is not None and existing != except_id:
        raise Conflict(f"A role named '{name}' already exists.", field="name")
    looks = skeleton(name)
    for builtin in BuiltinRole:
        if skeleton(builtin.value) == looks:
            raise Conflict(
                f"'{name}' looks like the built-in role '{builtin.value}'; choose a name "
                "that reads differently.",
                field="name",
            )
    others = session.execute(
        select(CustomRole.id, CustomRole.name).where(CustomRole.account_id == account_id)
    )
    for role_id, other in others:
        if role_id != except_id and skeleton(other) == looks:
            raise Conflict(
                f"'{name}' looks like the role '{other}'; choose a name that reads differently.",
                field="name",
            )


def _ensure_within_own(access: Access, permissions: frozenset[Permission]) -> None:
    extra = mask_of(permissions) & ~access.mask()
    if extra:
        raise Forbidden(
            "You cannot create a role with permissions you do not hold: "
            + ", ".join(sorted_permissions(extra))
            + "."
        )


def _ensure_may_change_holders(
    session: Session, access: Access, role: CustomRole, chosen: frozenset[Permission]
) -> None:
    """Rule 4 through a role's holders: changing what a held role grants changes every
    holder's permissions, so it needs what changing each holder's role would need —
    MANAGE_ACCOUNT_USERS (account roles) or MANAGE_SPACE_USERS in each space where the
    role is held, and the old and the new permissions within the editor's own there."""
    current = frozenset(Permission(p) for p in role.permissions)
    if chosen == current:
        return
    level = Level(role.level)
    new = RoleRef(role.name, level, chosen, role.description, custom_id=role.id)
    holder = f"Someone holding the role '{role.name}'"
    for scope in sorted(set(ask(session, ROLE_SCOPES, role.id))):
        if scope == "account":
            if not access.has(Permission.MANAGE_ACCOUNT_USERS):
                raise Forbidden(
                    f"The role '{role.name}' is someone's account role; changing it needs "
                    "the Manage account users permission, as changing their role would."
                )
            ensure_may_manage_holder(access, role.id, level, None, holder)
            ensure_may_grant(access, new, None)
            continue
        space_id = int(scope)
        if not access.has(Permission.MANAGE_SPACE_USERS, space_id):
            raise Forbidden(
                f"The role '{role.name}' is held in spaces where you may not manage users; "
                "changing it needs what changing those users' roles would need."
            )
        ensure_may_manage_holder(access, role.id, level, space_id, holder)
        ensure_may_grant(access, new, space_id)


def get_custom_role(session: Session, account_id: int, name: str) -> CustomRole:
    role = session.scalar(
        select(CustomRole).where(
            CustomRole.account_id == account_id, CustomRole.name_key == name.strip().lower()
        )
    )
    if role is None:
        if builtin_role(name) is not None:
            raise Forbidden(f"'{name}' is a built-in role; built-in roles cannot be changed.")
        raise NotFound(f"There is no role named '{name}'.")
    return role


def create_role(
    session: Session,
    access: Access,
    *,
    name: str,
    description: str,
    level: Level,
    permissions: list[str] | None,
    template: str | None,
) -> RoleRef:
    """A custom role of the caller's account. Raises InvalidInput (422) for a bad
    name, an unknown permission or template, or an account permission in a space role;
    Conflict (409) for a name taken (built-in names included); Forbidden (403) for a
    permission the caller does not hold (rule 7)."""
    account_id = access.caller.account_id
    name = clean_name(name, "role")
    _ensure_new_name(session, account_id, name)
    chosen = _validated_permissions(permissions or [], level)
    if template:
        source = find_role(session, account_id, template)
        if source is None:
            raise InvalidInput(f"There is no role named '{template}' to use as a template.")
        chosen |= _validated_permissions([p.value for p in source.permissions], level)
    _ensure_within_own(access, chosen)
    role = CustomRole(
        account_id=account_id,
        name=name,
        name_key=name.lower(),
        description=description.strip(),
        level=level.value,
        permissions=[p.value for p in sorted_permissions(mask_of(chosen))],
    )
    session.add(role)
    session.flush()
    mark_changed(session, access.caller.account_id, "role", role.id)
    audit.record(
        session,
        access.caller.actor,
        "role.create",
        target_type="role",
        target=name,
        after=_snapshot(role),
    )
    return _custom_ref(role)


def update_role(
    session: Session,
    access: Access,
    current_name: str,
    *,
    name: str | None,
    description: str | None,
    permissions: list[str] | None,
) -> RoleRef:
    """Rename (pending invitations and every assignment follow: they hold the role
    by id), describe, or replace the permissions. Raises NotFound (404) for no such role,
    Forbidden (403) for a built-in role or a permission the caller does not hold,
    InvalidInput (422) for a bad name or permission, Conflict (409) for a name taken."""
    role = get_custom_role(session, access.caller.account_id, current_name)
    before = _snapshot(role)
    if name is not None:
        new_name = clean_name(name, "role")
        _ensure_new_name(session, role.account_id, new_name, except_id=role.id)
        role.name, role.name_key = new_name, new_name.lower()
        mark_changed(session, role.account_id, "role", role.id)  # names show in explanations
    if description is not None:
        role.description = description.strip()
    if permissions is not None:
        chosen = _validated_permissions(permissions, Level(role.level))
        _ensure_within_own(access, chosen)
        _ensure_may_change_holders(session, access, role, chosen)
        role.permissions = [p.value for p in sorted_permissions(mask_of(chosen))]
        mark_changed(session, role.account_id, "role", role.id)
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "role.update",
        target_type="role",
        target=role.name,
        before=before,
        after=_snapshot(role),
    )
    return _custom_ref(role)


def delete_role(session: Session, access: Access, name: str) -> None:
    """Delete a custom role. Pending invitations that grant it lose it (foreign keys set
    NULL; sign-up then says so). Raises NotFound (404) for no such role, Forbidden (403)
    for a built-in one, RoleInUse (409), listing where, while a user holds it."""
    role = get_custom_role(session, access.caller.account_id, name)
    assignments = ask(session, ROLE_HOLDERS, role.id)
    if assignments:
        raise RoleInUse(
            f"The role '{role.name}' is still assigned ({'; '.join(assignments)}); "
            "change those assignments first.",
            details={"assignments": assignments},
        )
    audit.record(
        session,
        access.caller.actor,
        "role.delete",
        target_type="role",
        target=role.name,
        before=_snapshot(role),
    )
    session.delete(role)
    mark_changed(session, role.account_id, "role", role.id)


def _snapshot(role: CustomRole) -> dict[str, object]:
    return {
        "name": role.name,
        "description": role.description,
        "level": role.level,
        "permissions": list(role.permissions),
    }


def _article(level: Level) -> str:
    return f"an {level.value}" if level is Level.ACCOUNT else f"a {level.value}"
