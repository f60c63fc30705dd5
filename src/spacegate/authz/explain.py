"""Why a decision came out as it did: the grant chain on allow, the nearest missing
grant on deny. Walks the same index the checks use, so it can never disagree with them.
`decide` is the same answer without the chain, for the decision API's checks."""

from __future__ import annotations

from dataclasses import dataclass

from spacegate.authz.catalog import SPEC_BY_ID, Level, Permission
from spacegate.authz.grants import Grant, RoleDef
from spacegate.authz.index import AccountIndex
from spacegate.authz.masks import BIT


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


NOT_ACTIVE = "The user is not an active user of this account."


def explain(
    index: AccountIndex, user_id: int, permission: Permission, space_id: int | None = None
) -> Explanation:
    if not index.is_active_user(user_id):
        return Explanation(False, NOT_ACTIVE)
    chain: list[GrantStep] = []
    for grant in index.account_grants(user_id):
        step = _account_step(index, grant, permission, space_id)
        if step is not None:
            chain.append(step)
    if space_id is not None:
        for role_key, group_id in index.space_grants(user_id, space_id):
            role = index.roles.get(role_key)
            if role is not None and permission in role.permissions:
                chain.append(
                    GrantStep(
                        Level.SPACE,
                        role.name,
                        permission,
                        space_id,
                        group=_group_name(index, group_id),
                    )
                )
    if chain:
        first = chain[0]
        return Explanation(True, _allowed(first, space_id), tuple(chain))
    return _denied(index, user_id, permission, space_id)


def decide(
    index: AccountIndex, user_id: int, permission: Permission, space_id: int | None = None
) -> tuple[bool, str]:
    """`explain`'s answer and reason, without building the chain: a bit test, and the
    first grant that allows (or the explanation of the denial)."""
    mask = index.account_mask(user_id) if space_id is None else index.space_mask(user_id, space_id)
    if not mask & BIT[permission]:
        if not index.is_active_user(user_id):
            return False, NOT_ACTIVE
        return False, _denied(index, user_id, permission, space_id).reason
    for grant in index.account_grants(user_id):
        step = _account_step(index, grant, permission, space_id)
        if step is not None:
            return True, _allowed(step, space_id)
    for role_key, group_id in index.space_grants(user_id, space_id or 0):
        role = index.roles.get(role_key)
        if role is not None and permission in role.permissions:
            group = _group_name(index, group_id)
            return True, _allowed(
                GrantStep(Level.SPACE, role.name, permission, group=group), space_id
            )
    return True, "Allowed."  # unreachable while masks and roles agree


def _allowed(step: GrantStep, space_id: int | None) -> str:
    where = "in this space" if space_id is not None else "in this account"
    through = f" of the group {step.group}" if step.group else ""
    label = SPEC_BY_ID[step.permission].label
    return f"Allowed {where}: the role {step.role}{through} grants {label}."


def _denied(
    index: AccountIndex, user_id: int, permission: Permission, space_id: int | None
) -> Explanation:
    label = SPEC_BY_ID[permission].label
    account_role = _role(index, index.account_roles.get(user_id))
    account_name = account_role.name if account_role else None
    if space_id is None or SPEC_BY_ID[permission].level is Level.ACCOUNT:
        return Explanation(
            False,
            f"Denied: the account role {account_name} does not grant {label}.",
            missing=MissingGrant(
                Level.ACCOUNT, account_name, _roles_granting(index, permission, Level.ACCOUNT)
            ),
        )
    own = next((g for g in index.space_grants(user_id, space_id) if g[1] is None), None)
    space_role = _role(index, own[0]) if own else None
    if space_role is None:
        reason = f"Denied: the user has no role in this space, and {label} needs one."
    else:
        reason = f"Denied: the space role {space_role.name} does not grant {label}."
    return Explanation(
        False,
        reason,
        missing=MissingGrant(
            Level.SPACE,
            space_role.name if space_role else None,
            _roles_granting(index, permission, Level.SPACE),
            space_id,
        ),
    )


def _account_step(
    index: AccountIndex, grant: Grant, permission: Permission, space_id: int | None
) -> GrantStep | None:
    role = _role(index, grant[0])
    if role is None:
        return None
    group = _group_name(index, grant[1])
    if permission in role.permissions:
        return GrantStep(Level.ACCOUNT, role.name, permission, group=group)
    if (
        SPEC_BY_ID[permission].level is Level.SPACE
        and Permission.FULL_ACCESS_ALL_SPACES in role.permissions
    ):
        return GrantStep(
            Level.ACCOUNT,
            role.name,
            permission,
            via=Permission.FULL_ACCESS_ALL_SPACES,
            group=group,
        )
    return None


def _role(index: AccountIndex, key: object) -> RoleDef | None:
    return index.roles.get(key) if isinstance(key, str | int) else None


def _group_name(index: AccountIndex, group_id: int | None) -> str | None:
    if group_id is None:
        return None
    group = index.groups.get(group_id)
    return group.name if group else None


def _roles_granting(index: AccountIndex, permission: Permission, level: Level) -> tuple[str, ...]:
    return tuple(
        role.name
        for role in index.roles.values()
        if role.level is level and permission in role.permissions
    )
