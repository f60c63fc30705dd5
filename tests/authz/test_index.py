"""Decisions made from the in-memory index, from plain data: no database, no web.

Requests decide through `Access.has` (a caller, here with an unnarrowed token, over
the index's `account_mask` / `space_mask`), so that is what these tests ask."""

from __future__ import annotations

import pytest

from spacegate.authz import (
    CATALOG,
    SPEC_BY_ID,
    AccountGrants,
    AccountIndex,
    BuiltinRole,
    Level,
    Permission,
    RoleDef,
)
from spacegate.authz.masks import permissions_in
from spacegate.grants.context import Access
from tests.factories import request_access

P = Permission
SPACE_PERMISSIONS = [spec.id for spec in CATALOG if spec.level is Level.SPACE]
ACCOUNT_PERMISSIONS = [spec.id for spec in CATALOG if spec.level is Level.ACCOUNT]

ADMIN, DEV, INACTIVE, CUSTOM, PLAIN, SPACE_CUSTOM = 1, 2, 3, 4, 5, 6
DEV_SPACE, OTHER_SPACE, UNKNOWN_SPACE = 10, 11, 999
LAUNCHER_ROLE, COST_ROLE = 100, 200

LAUNCHER = RoleDef(
    LAUNCHER_ROLE, "Launcher", Level.ACCOUNT, frozenset({P.LAUNCH_SANDBOXES, P.CREATE_SPACES})
)
COST_VIEWER = RoleDef(COST_ROLE, "Cost Viewer", Level.SPACE, frozenset({P.VIEW_COST_DATA}))


def build_index() -> AccountIndex:
    return AccountIndex(
        AccountGrants(
            custom_roles=[LAUNCHER, COST_VIEWER],
            account_roles={
                ADMIN: "Admin",
                DEV: "Member",
                CUSTOM: LAUNCHER_ROLE,
                PLAIN: "Member",
                SPACE_CUSTOM: "Member",
            },
            space_roles=[
                (DEV, DEV_SPACE, "Space Developer"),
                (INACTIVE, DEV_SPACE, "Space Admin"),  # not active: must be ignored
                (SPACE_CUSTOM, OTHER_SPACE, COST_ROLE),
            ],
            user_ids={"admin@example.com": ADMIN, "dev@example.com": DEV},
            space_ids={"dev": DEV_SPACE, "other": OTHER_SPACE},
        )
    )


INDEX = build_index()


def access(user: int, index: AccountIndex = INDEX) -> Access:
    return request_access(index, user)


def held(user: int, space: int | None = None, index: AccountIndex = INDEX) -> frozenset[P]:
    """The permissions the index gives `user` at account level, or in `space`."""
    mask = index.account_mask(user) if space is None else index.space_mask(user, space)
    return permissions_in(mask)


@pytest.mark.parametrize(
    ("user", "permission", "allowed"),
    [
        (ADMIN, P.CREATE_SPACES, True),
        (ADMIN, P.ACCESS_ADMINISTRATION, True),
        (DEV, P.CREATE_SPACES, False),
        (DEV, P.ACCESS_ADMINISTRATION, False),
        (PLAIN, P.INVITE_USERS, False),
        (CUSTOM, P.CREATE_SPACES, True),
        (CUSTOM, P.CREATE_ROLES, False),
    ],
)
def test_account_role_decisions(user: int, permission: Permission, allowed: bool) -> None:
    assert access(user).has(permission) is allowed


@pytest.mark.parametrize(
    ("space", "permission", "allowed"),
    [
        (DEV_SPACE, P.MANAGE_PRODUCTION_ENVIRONMENTS, True),
        (DEV_SPACE, P.MANAGE_BLUEPRINT_TAGS, True),
        (DEV_SPACE, P.PUBLISH_BLUEPRINTS, False),
        (DEV_SPACE, P.MANAGE_SPACE_USERS, False),
        (OTHER_SPACE, P.MANAGE_PRODUCTION_ENVIRONMENTS, False),
        (OTHER_SPACE, P.VIEW_SPACE, False),
        (UNKNOWN_SPACE, P.VIEW_SPACE, False),
    ],
)
def test_space_role_applies_in_its_space_only(
    space: int, permission: Permission, allowed: bool
) -> None:
    assert access(DEV).has(permission, space) is allowed


def test_a_space_role_grants_nothing_at_account_level() -> None:
    assert not access(DEV).has(P.MANAGE_PRODUCTION_ENVIRONMENTS)
    assert held(DEV) == frozenset()


@pytest.mark.parametrize("permission", SPACE_PERMISSIONS, ids=str)
@pytest.mark.parametrize("space", [DEV_SPACE, OTHER_SPACE, UNKNOWN_SPACE, None])
def test_full_access_all_spaces_implies_every_space_permission_everywhere(
    permission: Permission, space: int | None
) -> None:
    assert access(ADMIN).has(permission, space)
    assert INDEX.can_see_space(ADMIN, UNKNOWN_SPACE)


def test_full_access_all_spaces_alone_is_enough() -> None:
    role = RoleDef(7, "All spaces", Level.ACCOUNT, frozenset({P.FULL_ACCESS_ALL_SPACES}))
    index = AccountIndex(AccountGrants(custom_roles=[role], account_roles={1: 7}))
    everything = {P.FULL_ACCESS_ALL_SPACES, *SPACE_PERMISSIONS}
    assert held(1, 12345, index) == everything
    assert held(1, index=index) == everything
    assert not access(1, index).has(P.CREATE_SPACES)


@pytest.mark.parametrize(
    ("space", "permission", "allowed"),
    [
        (DEV_SPACE, P.LAUNCH_SANDBOXES, True),
        (OTHER_SPACE, P.LAUNCH_SANDBOXES, True),
        (UNKNOWN_SPACE, P.LAUNCH_SANDBOXES, True),
        (None, P.LAUNCH_SANDBOXES, True),
        (DEV_SPACE, P.VIEW_COST_DATA, False),
        (UNKNOWN_SPACE, P.PUBLISH_BLUEPRINTS, False),
    ],
)
def test_custom_account_roles_space_permissions_apply_in_every_space(
    space: int | None, permission: Permission, allowed: bool
) -> None:
    assert access(CUSTOM).has(permission, space) is allowed


@pytest.mark.parametrize(
    ("space", "permission", "allowed"),
    [
        (OTHER_SPACE, P.VIEW_COST_DATA, True),
        (OTHER_SPACE, P.LAUNCH_SANDBOXES, False),
        (DEV_SPACE, P.VIEW_COST_DATA, False),
    ],
)
def test_custom_space_role(space: int, permission: Permission, allowed: bool) -> None:
    assert access(SPACE_CUSTOM).has(permission, space) is allowed


@pytest.mark.parametrize("permission", list(Permission), ids=str)
@pytest.mark.parametrize("space", [DEV_SPACE, None])
def test_inactive_users_are_absent_and_denied(permission: Permission, space: int | None) -> None:
    assert not access(INACTIVE).has(permission, space)
    assert not access(404).has(permission, space)  # never heard of


def test_inactive_users_hold_nothing() -> None:
    assert not INDEX.is_active_user(INACTIVE)
    assert not INDEX.can_see_space(INACTIVE, DEV_SPACE)
    assert held(INACTIVE, DEV_SPACE) == frozenset()
    assert INDEX.is_active_user(DEV)


@pytest.mark.parametrize(
    ("user", "space", "visible"),
    [
        (DEV, DEV_SPACE, True),
        (DEV, OTHER_SPACE, False),
        (PLAIN, DEV_SPACE, False),
        (CUSTOM, UNKNOWN_SPACE, True),  # LAUNCH_SANDBOXES everywhere: sees every space
        (SPACE_CUSTOM, OTHER_SPACE, True),
    ],
)
def test_visibility_is_any_permission_in_the_space(user: int, space: int, visible: bool) -> None:
    assert INDEX.can_see_space(user, space) is visible


def test_names_resolve_through_the_index() -> None:
    assert INDEX.user_ids["dev@example.com"] == DEV
    assert INDEX.space_ids["other"] == OTHER_SPACE


def test_unknown_role_keys_grant_nothing() -> None:
    index = AccountIndex(AccountGrants(account_roles={1: 9999}, space_roles=[(1, 5, 8888)]))
    assert index.is_active_user(1)
    assert held(1, index=index) == frozenset()
    assert held(1, 5, index) == frozenset()


# The full built-in matrix, both cells of every (permission, role) pair: an Account Admin
# asked at account level and in a space; each space role asked in its own space.
MATRIX = [(spec.id, role) for spec in CATALOG for role in BuiltinRole]


@pytest.mark.parametrize(("permission", "role"), MATRIX, ids=lambda v: str(v).replace(" ", "_"))
def test_builtin_matrix(permission: Permission, role: BuiltinRole) -> None:
    user, space = 1, 10
    if role in (BuiltinRole.ADMIN, BuiltinRole.MEMBER):
        index = AccountIndex(AccountGrants(account_roles={user: role.value}))
    else:
        index = AccountIndex(
            AccountGrants(account_roles={user: "Member"}, space_roles=[(user, space, role.value)])
        )
    holds = role in SPEC_BY_ID[permission].holders
    if SPEC_BY_ID[permission].level is Level.ACCOUNT:
        assert access(user, index).has(permission) is holds
    else:
        assert access(user, index).has(permission, space) is holds
        assert access(user, index).has(permission, space + 1) is (role is BuiltinRole.ADMIN)
