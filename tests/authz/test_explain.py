"""`explain`: the chain on allow, the nearest missing grant on deny, and never a
different answer from `check`."""

from __future__ import annotations

import pytest

from spacegate.authz import (
    AccountGrants,
    AccountIndex,
    GrantStep,
    Level,
    MissingGrant,
    Permission,
    RoleDef,
    explain,
)
from tests.factories import request_access

P = Permission
ADMIN, DEV, MEMBER, CUSTOM, INACTIVE = 1, 2, 3, 4, 5
DEV_SPACE, OTHER_SPACE = 10, 11

LAUNCHER = RoleDef(100, "Launcher", Level.ACCOUNT, frozenset({P.LAUNCH_SANDBOXES}))
PUBLISHER = RoleDef(200, "Publisher", Level.SPACE, frozenset({P.PUBLISH_BLUEPRINTS}))

INDEX = AccountIndex(
    AccountGrants(
        custom_roles=[LAUNCHER, PUBLISHER],
        account_roles={ADMIN: "Admin", DEV: "Member", MEMBER: "Member", CUSTOM: 100},
        space_roles=[
            (DEV, DEV_SPACE, "Space Developer"),
            (MEMBER, DEV_SPACE, "Space Member"),
            (CUSTOM, DEV_SPACE, "Space Member"),
            (INACTIVE, DEV_SPACE, "Space Admin"),
        ],
    )
)


def test_allow_through_a_space_role() -> None:
    result = explain(INDEX, DEV, P.MANAGE_PRODUCTION_ENVIRONMENTS, DEV_SPACE)
    assert result.allowed
    assert result.chain == (
        GrantStep(Level.SPACE, "Space Developer", P.MANAGE_PRODUCTION_ENVIRONMENTS, DEV_SPACE),
    )
    assert result.missing is None
    assert "Space Developer" in result.reason


def test_allow_through_the_admin_role_in_any_space() -> None:
    result = explain(INDEX, ADMIN, P.PUBLISH_BLUEPRINTS, OTHER_SPACE)
    assert result.allowed
    assert result.chain == (GrantStep(Level.ACCOUNT, "Admin", P.PUBLISH_BLUEPRINTS),)


def test_allow_through_full_access_all_spaces_names_the_implying_permission() -> None:
    everywhere = RoleDef(7, "Everywhere", Level.ACCOUNT, frozenset({P.FULL_ACCESS_ALL_SPACES}))
    index = AccountIndex(AccountGrants(custom_roles=[everywhere], account_roles={1: 7}))
    result = explain(index, 1, P.PUBLISH_BLUEPRINTS, OTHER_SPACE)
    assert result.allowed
    assert result.chain == (
        GrantStep(Level.ACCOUNT, "Everywhere", P.PUBLISH_BLUEPRINTS, via=P.FULL_ACCESS_ALL_SPACES),
    )


def test_allow_through_the_account_role_directly() -> None:
    result = explain(INDEX, ADMIN, P.CREATE_ROLES)
    assert result.allowed
    assert result.chain == (GrantStep(Level.ACCOUNT, "Admin", P.CREATE_ROLES),)
    assert "in this account" in result.reason


def test_every_grant_is_in_the_chain_account_first() -> None:
    result = explain(INDEX, CUSTOM, P.LAUNCH_SANDBOXES, DEV_SPACE)
    assert result.allowed
    assert [(step.scope, step.role) for step in result.chain] == [
        (Level.ACCOUNT, "Launcher"),
        (Level.SPACE, "Space Member"),
    ]


def test_deny_in_a_space_names_the_current_role_and_the_roles_that_would_grant() -> None:
    result = explain(INDEX, MEMBER, P.PUBLISH_BLUEPRINTS, DEV_SPACE)
    assert not result.allowed
    assert result.chain == ()
    assert result.missing == MissingGrant(
        Level.SPACE, "Space Member", ("Space Admin", "Publisher"), DEV_SPACE
    )
    assert "Space Member" in result.reason


def test_deny_without_a_role_in_the_space() -> None:
    result = explain(INDEX, DEV, P.VIEW_SPACE, OTHER_SPACE)
    assert not result.allowed
    assert result.missing is not None
    assert result.missing.scope is Level.SPACE
    assert result.missing.current_role is None
    assert result.missing.space_id == OTHER_SPACE
    assert set(result.missing.roles_that_grant) == {
        "Space Admin",
        "Space Developer",
        "Space Member",
    }
    assert "no role in this space" in result.reason


def test_deny_at_account_level() -> None:
    result = explain(INDEX, DEV, P.CREATE_SPACES)
    assert not result.allowed
    assert result.missing == MissingGrant(Level.ACCOUNT, "Member", ("Admin",))
    assert "Member" in result.reason


def test_account_permission_asked_in_a_space_is_missing_at_account_level() -> None:
    result = explain(INDEX, DEV, P.CREATE_SPACES, DEV_SPACE)
    assert not result.allowed
    assert result.missing is not None
    assert result.missing.scope is Level.ACCOUNT


@pytest.mark.parametrize("user", [INACTIVE, 999])
def test_deny_for_an_inactive_or_unknown_user(user: int) -> None:
    result = explain(INDEX, user, P.VIEW_SPACE, DEV_SPACE)
    assert not result.allowed
    assert result.missing is None
    assert "not an active user" in result.reason


@pytest.mark.parametrize("permission", list(Permission), ids=str)
def test_explain_agrees_with_the_decision_requests_make(permission: Permission) -> None:
    for user in (ADMIN, DEV, MEMBER, CUSTOM, INACTIVE, 999):
        for space in (None, DEV_SPACE, OTHER_SPACE):
            result = explain(INDEX, user, permission, space)
            decided = request_access(INDEX, user).has(permission, space)
            assert result.allowed is decided, (user, space)
            assert bool(result.chain) is result.allowed
            assert result.reason
