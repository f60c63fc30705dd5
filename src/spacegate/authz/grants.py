"""The plain data the grant index is built from and answers with: roles, groups, one
user's grants (a delta), a whole account's grants (a load), and lookup answers."""

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

RoleKey = str | int
"""A built-in role's wire name, or a custom role's database id."""

Grant = tuple[RoleKey, int | None]
"""A role held, and the group it is held through (None: held by the user directly)."""


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

    id: int
    name: str
    members: frozenset[int] = frozenset()
    account_role: RoleKey | None = None
    space_roles: Mapping[int, RoleKey] = field(default_factory=dict)
    """Space id -> space role."""


@dataclass(frozen=True, slots=True)
class UserGrants:
    """One user's own grants, as a delta carries them (`AccountIndex.set_user`)."""

    email: str
    active: bool
    account_role: RoleKey
    space_roles: Mapping[int, RoleKey] = field(default_factory=dict)
    """Space id -> the user's own space role there."""
    groups: frozenset[int] = frozenset()
    """The ids of the groups the user is a member of."""


@dataclass(frozen=True, slots=True)
class AccountGrants:
    """Everything a decision depends on, as plain data (what the loader reads)."""

    custom_roles: Iterable[RoleDef] = ()
    account_roles: Mapping[int, RoleKey] = field(default_factory=dict)
    """Active users only: user id -> account role."""
    space_roles: Iterable[tuple[int, int, RoleKey]] = ()
    """(user id, space id, space role) for every membership; rows of users that are not
    active are skipped. Rows ordered by space are read fastest."""
    user_ids: Mapping[str, int] = field(default_factory=dict)
    """Lower-cased email -> user id, so the decision API needs no query by name."""
    space_ids: Mapping[str, int] = field(default_factory=dict)
    """Lower-cased space name -> space id."""
    groups: Iterable[GroupGrant] = ()
    """Groups with their roles and members; a member holds the union of their own
    grants and their groups' (rule 2)."""
    emails: Mapping[int, str] | None = None
    """User id -> email as written; default: the keys of `user_ids`."""
    space_names: Mapping[int, str] | None = None
    """Space id -> name as written; default: the keys of `space_ids`."""


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a permission somewhere, and through which roles (a lookup's answer)."""

    user_id: int
    grants: tuple[Grant, ...]
    """The roles that give it (with the group each is held through); an account role
    that gives it everywhere is listed first."""
