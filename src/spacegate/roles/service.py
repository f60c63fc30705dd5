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
from spacegate.errors import Conflict, Forbidden, InvalidInput, NotFound, RoleInUse
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Access
from spacegate.groups.models import Group, GroupSpaceRole
from spacegate.invitations.models import Invitation, InvitationState
from spacegate.names import clean_name
from spacegate.roles.models import CustomRole
from spacegate.spaces.models import Space, SpaceMembership
from spacegate.users.models import User


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
    if builtin_role(name) is not None or name.lower() in {r.value.lower() for r in BuiltinRole}:
        raise Conflict(f"'{name}' is the name of a built-in role.", field="name")
    existing = session.scalar(
        select(CustomRole.id).where(
            CustomRole.account_id == account_id, CustomRole.name_key == name.lower()
        )
    )
    if existing is not None and existing != except_id:
        raise Conflict(f"A role named '{name}' already exists.", field="name")


def _ensure_within_own(access: Access, permissions: frozenset[Permission]) -> None:
    extra = mask_of(permissions) & ~access.mask()
    if extra:
        raise Forbidden(
            "You cannot create a role with permissions you do not hold: "
            + ", ".join(sorted_permissions(extra))
            + "."
        )


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
    role = get_custom_role(session, access.caller.account_id, current_name)
    before = _snapshot(role)
    if name is not None:
        new_name = clean_name(name, "role")
        _ensure_new_name(session, role.account_id, new_name, except_id=role.id)
        _retarget_invitations(session, role, new_name)
        role.name, role.name_key = new_name, new_name.lower()
        mark_changed(session, role.account_id)  # the index shows role names in explanations
    if description is not None:
        role.description = description.strip()
    if permissions is not None:
        chosen = _validated_permissions(permissions, Level(role.level))
        _ensure_within_own(access, chosen)
        role.permissions = [p.value for p in sorted_permissions(mask_of(chosen))]
        mark_changed(session, role.account_id)
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
    role = get_custom_role(session, access.caller.account_id, name)
    assignments = role_assignments(session, role.id)
    if assignments:
        raise RoleInUse(
            f"The role '{role.name}' is still assigned ({'; '.join(assignments)}); "
            "change those assignments first.",
            details={"assignments": assignments},
        )
    _retarget_invitations(session, role, None)
    audit.record(
        session,
        access.caller.actor,
        "role.delete",
        target_type="role",
        target=role.name,
        before=_snapshot(role),
    )
    session.delete(role)


def _retarget_invitations(session: Session, role: CustomRole, new_name: str | None) -> None:
    """Pending invitations name their roles, and sign-up resolves the names then; keep
    them on the role they were checked against (rule 4), whatever later takes its name.
    A rename follows the role; a deletion leaves the account role Member and drops the
    space grant."""
    old_key = role.name_key
    pending = session.scalars(
        select(Invitation).where(
            Invitation.account_id == role.account_id,
            Invitation.state == InvitationState.PENDING.value,
        )
    )
    for invitation in pending:
        if Level(role.level) is Level.ACCOUNT:
            if invitation.account_role.lower() == old_key:
                invitation.account_role = new_name or BuiltinRole.MEMBER.value
            continue
        if not any(grant["space_role"].lower() == old_key for grant in invitation.spaces):
            continue
        invitation.spaces = [
            {**grant, "space_role": new_name} if grant["space_role"].lower() == old_key else grant
            for grant in invitation.spaces
            if new_name is not None or grant["space_role"].lower() != old_key
        ]


def role_assignments(session: Session, role_id: int) -> list[str]:
    """Where a custom role is assigned, as sentences a person can act on."""
    account_holders = session.scalars(
        select(User.email).where(User.account_custom_role_id == role_id).order_by(User.email_key)
    )
    space_holders = session.execute(
        select(User.email, Space.name)
        .join(SpaceMembership, SpaceMembership.user_id == User.id)
        .join(Space, Space.id == SpaceMembership.space_id)
        .where(SpaceMembership.custom_role_id == role_id)
        .order_by(Space.name_key, User.email_key)
    )
    group_holders = session.scalars(
        select(Group.name).where(Group.account_custom_role_id == role_id).order_by(Group.name_key)
    )
    group_space_holders = session.execute(
        select(Group.name, Space.name)
        .join(GroupSpaceRole, GroupSpaceRole.group_id == Group.id)
        .join(Space, Space.id == GroupSpaceRole.space_id)
        .where(GroupSpaceRole.custom_role_id == role_id)
        .order_by(Space.name_key, Group.name_key)
    )
    return (
        [f"account role of {email}" for email in account_holders]
        + [f"space role of {email} in space '{space}'" for email, space in space_holders]
        + [f"account role of the group '{group}'" for group in group_holders]
        + [
            f"space role of the group '{group}' in space '{space}'"
            for group, space in group_space_holders
        ]
    )


def _snapshot(role: CustomRole) -> dict[str, object]:
    return {
        "name": role.name,
        "description": role.description,
        "level": role.level,
        "permissions": list(role.permissions),
    }


def _article(level: Level) -> str:
    return f"an {level.value}" if level is Level.ACCOUNT else f"a {level.value}"
