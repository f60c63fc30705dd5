"""Group grants in the index: a member's permissions are the union of their own grants
and their groups', folded in when the index is built (a check stays a lookup and a bit
test); inactive users and non-members get nothing from a group."""

from __future__ import annotations

from spacegate.authz import AccountGrants, AccountIndex, GroupGrant, Level, Permission, RoleDef
from spacegate.authz.explain import explain
from spacegate.authz.masks import BIT

P = Permission
ALICE, BOB, GONE, OUTSIDER = 1, 2, 3, 4
DEV, OPS = 10, 11
PUBLISHER = 100

INDEX = AccountIndex(
    AccountGrants(
        custom_roles=[
            RoleDef(PUBLISHER, "Publisher", Level.SPACE, frozenset({P.PUBLISH_BLUEPRINTS}))
        ],
        account_roles={ALICE: "Member", BOB: "Member", OUTSIDER: "Member"},
        space_roles=[(ALICE, DEV, "Space Member")],
        groups=[
            GroupGrant(1, "Publishers", frozenset({ALICE, GONE}), None, {DEV: PUBLISHER}),
            GroupGrant(2, "Ops", frozenset({ALICE, BOB}), None, {OPS: "Space Developer"}),
            GroupGrant(3, "Admins", frozenset({BOB, GONE}), "Admin", {}),
        ],
    )
)


def may(user: int, permission: Permission, space: int | None = None) -> bool:
    """What a request's `Access.has` decides from these masks."""
    mask = INDEX.account_mask(user) if space is None else INDEX.space_mask(user, space)
    return bool(mask & BIT[permission])


def test_a_members_permissions_are_the_union_of_their_grants() -> None:
    assert may(ALICE, P.LAUNCH_SANDBOXES, DEV)  # own role
    assert may(ALICE, P.PUBLISH_BLUEPRINTS, DEV)  # group, custom role
    assert may(ALICE, P.MANAGE_PRODUCTION_ENVIRONMENTS, OPS)  # another group
    assert not may(ALICE, P.MANAGE_SPACE_USERS, DEV)
    assert not may(ALICE, P.PUBLISH_BLUEPRINTS, OPS)
    assert not may(ALICE, P.CREATE_SPACES)


def test_an_account_role_through_a_group_applies_in_every_space() -> None:
    assert may(BOB, P.CREATE_SPACES)
    for space in (DEV, OPS, 999):
        assert may(BOB, P.MANAGE_SPACE_USERS, space)
        assert INDEX.can_see_space(BOB, space)


def test_inactive_users_and_others_get_nothing_from_a_group() -> None:
    for user in (GONE, OUTSIDER):
        assert not may(user, P.CREATE_SPACES)
        assert not may(user, P.PUBLISH_BLUEPRINTS, DEV)
        assert INDEX.user_groups.get(user) is None


def test_explain_names_the_group() -> None:
    decision = explain(INDEX, ALICE, P.PUBLISH_BLUEPRINTS, DEV)
    assert decision.allowed
    assert decision.reason == (
        "Allowed in this space: the role Publisher of the group Publishers grants "
        "Publish blueprints."
    )
    assert [(step.role, step.group) for step in decision.chain] == [("Publisher", "Publishers")]
    both = explain(INDEX, ALICE, P.LAUNCH_SANDBOXES, DEV)
    assert [(step.role, step.group) for step in both.chain] == [("Space Member", None)]
    through_ops = explain(INDEX, BOB, P.CREATE_SPACES)
    assert [(step.role, step.group) for step in through_ops.chain] == [("Admin", "Admins")]
