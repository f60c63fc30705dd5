"""The in-memory grant index of one account, and the decisions made from it.

Built once from plain data (`AccountGrants`) and then read-only: a check is a dict
lookup and a bit test, with no database access and no allocation. A change to the
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
    BIT,
    SPACE_LEVEL_MASK,
    effective_account_mask,
    mask_of,
    permissions_in,
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
class GroupGrant:
    """A group: its members get its account role and its role in each of its spaces."""

    name: str
    members: frozenset[int] = frozenset()
    account_role: RoleKey | None = None
    space_roles: Mapping[int, RoleKey] = field(default_factory=dict)
    """Space id -> space role."""


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
    groups: Iterable[GroupGrant] = ()
    """Groups with their roles and members; a member holds the union of their own
    grants and their groups' (rule 2)."""


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
        "user_groups",
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
        # An active user's groups, for the masks below and for explanations.
        self.user_groups: dict[int, tuple[GroupGrant, ...]] = {}
        for group in grants.groups:
            for user in group.members:
                if user in self.account_roles:
                    self.user_groups[user] = (*self.user_groups.get(user, ()), group)
        # Only non-zero masks: most users are Members (mask 0), and a denied check then
        # falls back to a small dict instead of a second random lookup in a large one.
        # Group grants are folded in here, once: a check stays one lookup and a bit test.
        self._account_masks: dict[int, int] = {}
        for user, role in self.account_roles.items():
            mask = effective_account_mask(role_masks.get(role, 0))
            for group in self.user_groups.get(user, ()):
                if group.account_role is not None:
                    mask |= effective_account_mask(role_masks.get(group.account_role, 0))
            if mask:
                self._account_masks[user] = mask
        self.space_roles: dict[int, RoleKey] = {}
        self._space_masks: dict[int, int] = {}
        for user, space, space_role in grants.space_roles:
            if user not in self.account_roles:  # not an active user of this account
                continue
            key = pair_key(user, space)
            self.space_roles[key] = space_role
            self._add_space_mask(key, user, role_masks.get(space_role, 0))
        for user, groups in self.user_groups.items():
            for group in groups:
                for space, space_role in group.space_roles.items():
                    self._add_space_mask(pair_key(user, space), user, role_masks.get(space_role, 0))

    def _add_space_mask(self, key: int, user: int, role_mask: int) -> None:
        """Add a space role's permissions to a (user, space) pair, on top of what the
        user's account role gives there (rule 1) and any role already added."""
        current = self._space_masks.get(key)
        if current is None:
            current = self._account_masks.get(user, 0)
        self._space_masks[key] = current | role_mask

    # -- decisions -------------------------------------------------------------------

    def account_mask(self, user_id: int) -> int:
        return self._account_masks.get(user_id, 0)

    def space_mask(self, user_id: int, space_id: int) -> int:
        mask = self._space_masks.get(pair_key(user_id, space_id))
        return self._account_masks.get(user_id, 0) if mask is None else mask

    def check(self, user_id: int, permission: Permission, space_id: int | None = None) -> bool:
        """True when the user holds `permission` (in `space_id`, for space permissions).

        The hot path: `space_mask` and `pair_key` are inlined here on purpose (a Python
        call costs as much as the lookups themselves)."""
        if space_id is None:
            return bool(self._account_masks.get(user_id, 0) & BIT[permission])
        mask = self._space_masks.get((user_id << 32) | space_id)
        if mask is None:
            mask = self._account_masks.get(user_id, 0)
        return bool(mask & BIT[permission])

    def permissions(self, user_id: int, space_id: int | None = None) -> frozenset[Permission]:
        mask = (
            self.account_mask(user_id) if space_id is None else self.space_mask(user_id, space_id)
        )
        return permissions_in(mask)

    def can_see_space(self, user_id: int, space_id: int) -> bool:
        """Rule 3: a user sees a space when they hold any space permission in it."""
        return bool(self.space_mask(user_id, space_id) & SPACE_LEVEL_MASK)

    def is_active_user(self, user_id: int) -> bool:
        return user_id in self.account_roles

    def role_mask(self, role: RoleKey) -> int:
        definition = self.roles.get(role)
        return mask_of(definition.permissions) if definition else 0
