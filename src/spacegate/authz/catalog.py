"""The permission catalog and the built-in roles: the one definition of the matrix.

This module is the design's permission matrix written as data. Every other view of the
matrix (the API's role listings, the console's Roles tab, the docs, the test matrix) is
derived from `CATALOG`; nothing else names which built-in role holds which permission.
`tests/authz/matrix.md` keeps the design's table as test data to check it against.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """Where a permission applies: the account as a whole, or inside one space."""

    ACCOUNT = "account"
    SPACE = "space"


class Permission(StrEnum):
    """Permission ids, as sent on the wire. Their order fixes each one's bit."""

    ADD_REMOVE_CLOUD_ACCOUNTS = "ADD_REMOVE_CLOUD_ACCOUNTS"
    CREATE_SPACES = "CREATE_SPACES"
    INTEGRATE_IDP = "INTEGRATE_IDP"
    CREATE_ROLES = "CREATE_ROLES"
    FULL_ACCESS_ALL_SPACES = "FULL_ACCESS_ALL_SPACES"
    INVITE_ACCOUNT_ADMINS = "INVITE_ACCOUNT_ADMINS"
    MANAGE_ACCOUNT_TAGS = "MANAGE_ACCOUNT_TAGS"
    LAUNCH_SANDBOXES = "LAUNCH_SANDBOXES"
    PUBLISH_BLUEPRINTS = "PUBLISH_BLUEPRINTS"
    MANAGE_PRODUCTION_ENVIRONMENTS = "MANAGE_PRODUCTION_ENVIRONMENTS"
    SETUP_BLUEPRINT_REPOSITORIES = "SETUP_BLUEPRINT_REPOSITORIES"
    MANAGE_SPACE_USERS = "MANAGE_SPACE_USERS"
    GET_CLOUD_ACCOUNT_INFO = "GET_CLOUD_ACCOUNT_INFO"
    VIEW_COST_DATA = "VIEW_COST_DATA"
    MANAGE_SPACE_TAGS = "MANAGE_SPACE_TAGS"
    MANAGE_SPACE_POLICIES = "MANAGE_SPACE_POLICIES"
    MANAGE_BLUEPRINT_TAGS = "MANAGE_BLUEPRINT_TAGS"
    ACCESS_ADMINISTRATION = "ACCESS_ADMINISTRATION"
    INVITE_USERS = "INVITE_USERS"
    MANAGE_ACCOUNT_USERS = "MANAGE_ACCOUNT_USERS"
    BROWSE_CATALOG = "BROWSE_CATALOG"
    VIEW_SPACE = "VIEW_SPACE"


class BuiltinRole(StrEnum):
    """The five built-in roles, by their wire names."""

    ADMIN = "Admin"
    MEMBER = "Member"
    SPACE_ADMIN = "Space Admin"
    SPACE_DEVELOPER = "Space Developer"
    SPACE_MEMBER = "Space Member"


BUILTIN_ROLE_LEVELS: dict[BuiltinRole, Level] = {
    BuiltinRole.ADMIN: Level.ACCOUNT,
    BuiltinRole.MEMBER: Level.ACCOUNT,
    BuiltinRole.SPACE_ADMIN: Level.SPACE,
    BuiltinRole.SPACE_DEVELOPER: Level.SPACE,
    BuiltinRole.SPACE_MEMBER: Level.SPACE,
}

BUILTIN_ROLE_DESCRIPTIONS: dict[BuiltinRole, str] = {
    BuiltinRole.ADMIN: "Full permissions in every space, and the Administration area.",
    BuiltinRole.MEMBER: "Belongs to the account; permissions come from a role in each space.",
    BuiltinRole.SPACE_ADMIN: "Administers a space: its users, repositories, policies and tags.",
    BuiltinRole.SPACE_DEVELOPER: "Tracks the space's usage and cost, and manages blueprint tags.",
    BuiltinRole.SPACE_MEMBER: "Browses the blueprint catalog and launches environments.",
}

_AA, _SA, _SD, _SM = (
    BuiltinRole.ADMIN,
    BuiltinRole.SPACE_ADMIN,
    BuiltinRole.SPACE_DEVELOPER,
    BuiltinRole.SPACE_MEMBER,
)


@dataclass(frozen=True, slots=True)
class PermissionSpec:
    """One row of the matrix: the permission, how the seed names it, and who holds it."""

    id: Permission
    label: str
    level: Level
    holders: frozenset[BuiltinRole]
    description: str
    from_seed_table: bool = True


def _row(
    permission: Permission,
    label: str,
    level: Level,
    holders: tuple[BuiltinRole, ...],
    description: str,
    *,
    from_seed_table: bool = True,
) -> PermissionSpec:
    return PermissionSpec(
        permission, label, level, frozenset(holders), description, from_seed_table
    )


P, A, S = Permission, Level.ACCOUNT, Level.SPACE

CATALOG: tuple[PermissionSpec, ...] = (
    _row(
        P.ADD_REMOVE_CLOUD_ACCOUNTS,
        "Add / Remove Cloud Accounts",
        A,
        (_AA,),
        "Cloud accounts and Kubernetes compute services.",
    ),
    _row(P.CREATE_SPACES, "Create Spaces", A, (_AA,), "Also rename and delete spaces."),
    _row(P.INTEGRATE_IDP, "Integrate IDP", A, (_AA,), "Single sign-on and provisioning."),
    _row(P.CREATE_ROLES, "Create Roles", A, (_AA,), "Create, edit and delete custom roles."),
    _row(
        P.FULL_ACCESS_ALL_SPACES,
        "Full access to all spaces",
        A,
        (_AA,),
        "Every space permission in every space, without a membership.",
    ),
    _row(
        P.INVITE_ACCOUNT_ADMINS,
        "Invite new account admins",
        A,
        (_AA,),
        "Grant the Admin account role, by invitation or by role change.",
    ),
    _row(P.MANAGE_ACCOUNT_TAGS, "Manage account tags", A, (_AA,), "Account tag definitions."),
    _row(
        P.LAUNCH_SANDBOXES,
        "Launch sandboxes",
        S,
        (_AA, _SA, _SD, _SM),
        "Launch sandboxes; end and extend one's own.",
    ),
    _row(
        P.PUBLISH_BLUEPRINTS,
        "Publish blueprints",
        S,
        (_AA, _SA),
        "Publish and unpublish blueprints in the space's catalog.",
    ),
    _row(
        P.MANAGE_PRODUCTION_ENVIRONMENTS,
        "Manage production environments",
        S,
        (_AA, _SA, _SD),
        "Launch, extend and end production environments.",
    ),
    _row(
        P.SETUP_BLUEPRINT_REPOSITORIES,
        "Setup blueprint repositories",
        S,
        (_AA, _SA),
        "Connect, sync and remove blueprint repositories.",
    ),
    _row(
        P.MANAGE_SPACE_USERS,
        "Manage space users & roles",
        S,
        (_AA, _SA),
        "Add account users to the space, change their space roles, remove them.",
    ),
    _row(
        P.GET_CLOUD_ACCOUNT_INFO,
        "Get information on Cloud Account",
        S,
        (_AA, _SA, _SD),
        "Non-secret details of the cloud accounts allowed in the space.",
    ),
    _row(P.VIEW_COST_DATA, "View cost data", S, (_AA, _SA, _SD, _SM), "The space's cost data."),
    _row(P.MANAGE_SPACE_TAGS, "Manage space tags", S, (_AA, _SA), "Tag values of the space."),
    _row(P.MANAGE_SPACE_POLICIES, "Manage space policies", S, (_AA, _SA), "The space's policies."),
    _row(
        P.MANAGE_BLUEPRINT_TAGS,
        "Manage blueprint tags",
        S,
        (_AA, _SA, _SD),
        "Tag values of the space's blueprints.",
    ),
    _row(
        P.ACCESS_ADMINISTRATION,
        "Access the Administration area",
        A,
        (_AA,),
        "Users, roles, spaces, audit log and settings of the account.",
        from_seed_table=False,
    ),
    _row(
        P.INVITE_USERS,
        "Invite users",
        A,
        (_AA,),
        "Invite people to the account by email, or add them directly.",
        from_seed_table=False,
    ),
    _row(
        P.MANAGE_ACCOUNT_USERS,
        "Manage account users",
        A,
        (_AA,),
        "Change account roles, deactivate or remove users.",
        from_seed_table=False,
    ),
    _row(
        P.BROWSE_CATALOG,
        "Browse the blueprint catalog",
        S,
        (_AA, _SA, _SD, _SM),
        "The space's published blueprints and their inputs.",
        from_seed_table=False,
    ),
    _row(
        P.VIEW_SPACE,
        "View the space",
        S,
        (_AA, _SA, _SD, _SM),
        "The space, its members and its environments.",
        from_seed_table=False,
    ),
)

SPEC_BY_ID: dict[Permission, PermissionSpec] = {spec.id: spec for spec in CATALOG}


def permissions_of_level(level: Level) -> tuple[Permission, ...]:
    return tuple(spec.id for spec in CATALOG if spec.level is level)


def builtin_role_permissions(role: BuiltinRole) -> frozenset[Permission]:
    """The permissions a built-in role grants, read off the catalog's holders column."""
    return frozenset(spec.id for spec in CATALOG if role in spec.holders)


def permissions_allowed_for_level(level: Level) -> frozenset[Permission]:
    """Permissions a custom role of `level` may hold.

    An account role may hold any permission: its space-level ones apply in every space
    (rule 1). A space role may hold space-level permissions only.
    """
    if level is Level.ACCOUNT:
        return frozenset(Permission)
    return frozenset(permissions_of_level(Level.SPACE))


def builtin_role(name: str) -> BuiltinRole | None:
    """The built-in role of that wire name, or None."""
    try:
        return BuiltinRole(name)
    except ValueError:
        return None
