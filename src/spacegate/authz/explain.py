"""Why a decision came out as it did: the grant chain on allow, the nearest missing
grant on deny. Walks the same index the checks use, so it can never disagree with them."""

from __future__ import annotations

from dataclasses import dataclass

from spacegate.authz.catalog import SPEC_BY_ID, Level, Permission
from spacegate.authz.index import AccountIndex, RoleDef, pair_key


@dataclass(frozen=True, slots=True)
class GrantStep:
    """One link of a chain: `role`, held at `scope` (in `space_id`), gives `permission`.

    `via` names the permission that implies `permission` when it is not held directly
    (FULL_ACCESS_ALL_SPACES); `group` names the group the role is held through, when the
    user does not hold it themselves."""

    scope: Level
    role: str
    permission: Permission
    space_id: int | None = None
    via: Permission | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True)
class MissingGrant:
    """The smallest change that would allow the request."""

    scope: Level
    current_role: str | None
    roles_that_grant: tuple[str, ...]
    space_id: int | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    allowed: bool
    reason: str
    chain: tuple[GrantStep, ...] = ()
    missing: MissingGrant | None = None


def explain(
    index: AccountIndex, user_id: int, permission: Permission, space_id: int | None = None
) -> Explanation:
    label = SPEC_BY_ID[permission].label
    account_role = index.roles.get(index.account_roles.get(user_id, ""))
    if account_role is None or not index.is_active_user(user_id):
        return Explanation(False, "The user is not an active user of this account.")

    groups = index.user_groups.get(user_id, ())
    chain = _account_steps(account_role, permission, space_id)
    for group in groups:
        group_role = index.roles.get(group.account_role or "")
        if group_role is not None:
            chain += _account_steps(group_role, permission, space_id, group.name)
    space_role: RoleDef | None = None
    if space_id is not None:
        space_role = index.roles.get(index.space_roles.get(pair_key(user_id, space_id), ""))
        if space_role is not None and permission in space_role.permissions:
            chain.append(GrantStep(Level.SPACE, space_role.name, permission, space_id))
        for group in groups:
            group_role = index.roles.get(group.space_roles.get(space_id, ""))
            if group_role is not None and permission in group_role.permissions:
                chain.append(
                    GrantStep(Level.SPACE, group_role.name, permission, space_id, group=group.name)
                )

    if chain:
        first = chain[0]
        where = "in this space" if space_id is not None else "in this account"
        through = f" of the group {first.group}" if first.group else ""
        return Explanation(
            True,
            f"Allowed {where}: the role {first.role}{through} grants {label}.",
            tuple(chain),
        )

    if space_id is None or SPEC_BY_ID[permission].level is Level.ACCOUNT:
        granting = _roles_granting(index, permission, Level.ACCOUNT)
        return Explanation(
            False,
            f"Denied: the account role {account_role.name} does not grant {label}.",
            missing=MissingGrant(Level.ACCOUNT, account_role.name, granting),
        )
    granting = _roles_granting(index, permission, Level.SPACE)
    if space_role is None:
        reason = f"Denied: the user has no role in this space, and {label} needs one."
    else:
        reason = f"Denied: the space role {space_role.name} does not grant {label}."
    return Explanation(
        False,
        reason,
        missing=MissingGrant(
            Level.SPACE, space_role.name if space_role else None, granting, space_id
        ),
    )


def _account_steps(
    role: RoleDef, permission: Permission, space_id: int | None, group: str | None = None
) -> list[GrantStep]:
    if permission in role.permissions:
        return [GrantStep(Level.ACCOUNT, role.name, permission, group=group)]
    if (
        SPEC_BY_ID[permission].level is Level.SPACE
        and Permission.FULL_ACCESS_ALL_SPACES in role.permissions
    ):
        return [
            GrantStep(
                Level.ACCOUNT,
                role.name,
                permission,
                via=Permission.FULL_ACCESS_ALL_SPACES,
                group=group,
            )
        ]
    return []


def _roles_granting(index: AccountIndex, permission: Permission, level: Level) -> tuple[str, ...]:
    return tuple(
        role.name
        for role in index.roles.values()
        if role.level is level and permission in role.permissions
    )
