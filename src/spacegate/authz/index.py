"""The in-memory grant index of one account, and the decisions made from it.

Built once from plain data (`AccountGrants`) and then read-only: a decision
(`Access.has`, from `account_mask` / `space_mask`) is a dict lookup or two and a bit
test, with no database access and no allocation. A change to the
account's grants builds a new index; readers holding the old one keep a consistent view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from spacegate.authz.catalog import (
    BUILTIN_ROLE_LEVELS,
    BuiltinRole,
    Level,
    Permission,
    builtin_role_permissions,
)
from spacegate.authz.masks import (
    SPACE_LEVEL_MASK,
    effective_account_mask,
    mask_of,
)

RoleKey = str | int
"""A built-in role's wire name, or a custom role's database id."""


@dataclass(frozen=True, slots=True)
class RoleDef:
    key: RoleKey
    name: str
    level: Level
    permissions: frozenset[Permission]


BUILTIN_ROLE_DEFS: tuple[RoleDef, ...] = tuple(
    RoleDef(role.value, role.value, BUILTIN_ROLE_LEVELS[role], builtin_role_permissions(role))
    for role in BuiltinRole
)


@dataclass(frozen=True, slots=True)
class AccountGrants:
    """Everything a decision depends on, as plain data (what the loader reads)."""

    custom_roles: Iterable[RoleDef] = ()
    account_roles: Mapping[int, RoleKey] = field(default_factory=dict)
    """Active users only: user id -> account role."""
    space_roles: Iterable[tuple[int, int, RoleKey]] = ()
    """(user id, space id, space role) for every membership of an active user."""
    user_ids: Mapping[str, int] = field(default_factory=dict)
    """Lower-cased email -> user id, so the decision API needs no query by name."""
    space_ids: Mapping[str, int] = field(default_factory=dict)
    """Lower-cased space name -> space id."""


def pair_key(user_id: int, space_id: int) -> int:
    """One int for a (user, space) pair: smaller and faster to hash than a tuple."""
    return (user_id << 32) | space_id


class AccountIndex:
    """Role -> mask, user -> account mask, (user, space) -> mask for one account."""

    __slots__ = (
        "_account_masks",
        "_space_masks",
        "account_roles",
        "roles",
        "space_ids",
        "space_roles",
        "user_ids",
    )

    def __init__(self, grants: AccountGrants) -> None:
        self.roles: dict[RoleKey, RoleDef] = {role.key: role for role in BUILTIN_ROLE_DEFS}
        for custom in grants.custom_roles:
            self.roles[custom.key] = custom
        role_masks = {key: mask_of(role.permissions) for key, role in self.roles.items()}

        self.user_ids: dict[str, int] = dict(grants.user_ids)
        self.space_ids: dict[str, int] = dict(grants.space_ids)
        self.account_roles: dict[int, RoleKey] = dict(grants.account_roles)
        # Only non-zero masks: most users are Members (mask 0), and a denied check then
        # falls back to a small dict instead of a second random lookup in a large one.
        self._account_masks: dict[int, int] = {}
        for user, role in self.account_roles.items():
            mask = effective_account_mask(role_masks.get(role, 0))
            if mask:
                self._account_masks[user] = mask
        self.space_roles: dict[int, RoleKey] = {}
        self._space_masks: dict[int, int] = {}
        for user, space, space_role in grants.space_roles:
            if user not in self.account_roles:  # not an active user of this account
                continue
            key = pair_key(user, space)
            self.space_roles[key] = space_role
            self._space_masks[key] = self._account_masks.get(user, 0) | role_masks.get(
                space_role, 0
            )

    # -- decisions -------------------------------------------------------------------

    def account_mask(self, user_id: int) -> int:
        return self._account_masks.get(user_id, 0)

    def space_mask(self, user_id: int, space_id: int) -> int:
        mask = self._space_masks.get(pair_key(user_id, space_id))
        return self._account_masks.get(user_id, 0) if mask is None else mask

    def can_see_space(self, user_id: int, space_id: int) -> bool:
        """Rule 3: a user sees a space when they hold any space permission in it."""
        return bool(self.space_mask(user_id, space_id) & SPACE_LEVEL_MASK)

    def is_active_user(self, user_id: int) -> bool:
        return user_id in self.account_roles

    def role_mask(self, role: RoleKey) -> int:
        definition = self.roles.get(role)
        return mask_of(definition.permissions) if definition else 0
