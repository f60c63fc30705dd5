"""Rule 4 in spaces: granting a space role needs MANAGE_SPACE_USERS in that space, the
role's permissions must be a subset of the granter's own there, and only users who
already belong to the account can be added. A refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import BuiltinRole, Level, Permission
from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, builtin_permissions, error_of
from tests.factories import Person, add_member, new_custom_role, new_space, new_user

BOB = "bob@example.com"  # in the account, in no space
CARL = "carl@example.com"  # a Space Member of every space
P = Permission


@pytest.fixture
def spaces(runtime: Runtime, admin: Person) -> dict[str, int]:
    ids = {name: new_space(runtime, admin.account_id, name) for name in ("dev", "ops", "prod")}
    new_user(runtime, admin.account_id, BOB)
    carl = new_user(runtime, admin.account_id, CARL)
    for space in ids.values():
        add_member(runtime, space, carl.user_id, "Space Member")
    # Identical to Space Admin, so a Space Admin may grant it.
    new_custom_role(
        runtime,
        admin.account_id,
        "Admin Twin",
        Level.SPACE,
        [P(p) for p in builtin_permissions(BuiltinRole.SPACE_ADMIN)],
    )
    new_custom_role(
        runtime, admin.account_id, "Launcher", Level.SPACE, [P.VIEW_SPACE, P.LAUNCH_SANDBOXES]
    )
    return ids


@pytest.fixture
def space_admin(runtime: Runtime, admin: Person, spaces: dict[str, int]) -> Person:
    """Space Admin of dev, Space Member of ops, nothing in prod."""
    alice = new_user(runtime, admin.account_id, "alice@example.com")
    add_member(runtime, spaces["dev"], alice.user_id, "Space Admin")
    add_member(runtime, spaces["ops"], alice.user_id, "Space Member")
    return alice


@pytest.fixture
def staffer(runtime: Runtime, admin: Person, spaces: dict[str, int]) -> Person:
    """A custom account role: MANAGE_SPACE_USERS and a Space Member's permissions in every
    space (rule 1), but not e.g. MANAGE_SPACE_POLICIES."""
    new_custom_role(
        runtime,
        admin.account_id,
        "Space Staffer",
        Level.ACCOUNT,
        [P.MANAGE_SPACE_USERS, *[P(p) for p in builtin_permissions(BuiltinRole.SPACE_MEMBER)]],
    )
    return new_user(
        runtime, admin.account_id, "staffer@example.com", custom_account_role="Space Staffer"
    )


def _state(client: TestClient, admin: Person) -> tuple[Any, ...]:
    members = {
        space: client.get(f"/api/spaces/{space}/users", headers=admin.headers).json()
        for space in ("dev", "ops", "prod")
    }
    return members, audit_events(client, admin)


def _grant(client: TestClient, granter: Person, how: str, space: str, role: str) -> Any:
    if how == "add":
        return client.post(
            f"/api/spaces/{space}/users",
            json={"email": BOB, "space_role": role},
            headers=granter.headers,
        )
    return client.put(
        f"/api/spaces/{space}/users/{CARL}/space_role",
        params={"value": role},
        headers=granter.headers,
    )


@pytest.mark.parametrize("how", ["add", "change"])
@pytest.mark.parametrize(
    ("space", "status"),
    [("dev", None), ("ops", 403), ("prod", 404)],
)
def test_a_space_admin_grants_space_admin_only_where_they_are_one(
    client: TestClient,
    admin: Person,
    space_admin: Person,
    how: str,
    space: str,
    status: int | None,
) -> None:
    before = _state(client, admin)

    response = _grant(client, space_admin, how, space, "Space Admin")

    if status is None:
        assert response.status_code == (201 if how == "add" else 200), response.text
        assert response.json()["space_role"] == "Space Admin"
        return
    error_of(response, status, "Forbidden" if status == 403 else "NotFound")
    assert _state(client, admin) == before


@pytest.mark.parametrize(
    ("granter", "role", "status"),
    [
        ("space admin", "Space Member", 201),
        ("space admin", "Space Developer", 201),
        ("space admin", "Space Admin", 201),
        ("space admin", "Admin Twin", 201),
        ("space admin", "Launcher", 201),
        ("staffer", "Space Member", 201),
        ("staffer", "Launcher", 201),
        ("staffer", "Space Developer", 403),
        ("staffer", "Space Admin", 403),
        ("staffer", "Admin Twin", 403),
    ],
)
def test_the_granted_role_must_be_within_the_granters_own_permissions(
    client: TestClient,
    admin: Person,
    space_admin: Person,
    staffer: Person,
    granter: str,
    role: str,
    status: int,
) -> None:
    caller = space_admin if granter == "space admin" else staffer
    before = _state(client, admin)

    response = _grant(client, caller, "add", "dev", role)

    if status == 403:
        error = error_of(response, 403, "Forbidden")
        assert role in error["message"]
        assert _state(client, admin) == before
        return
    assert response.status_code == status, response.text
    [event] = audit_events(client, admin, actor=caller.email, action="space.member_add")
    assert event["after"] == {"space": "dev", "space_role": role}


def test_a_staffer_manages_users_in_every_space_without_a_membership(
    client: TestClient, staffer: Person
) -> None:
    for space in ("dev", "ops", "prod"):
        response = _grant(client, staffer, "change", space, "Launcher")
        assert response.status_code == 200, f"{space}: {response.text}"


@pytest.mark.parametrize(("space", "status"), [("dev", 404), ("ops", 403), ("prod", 404)])
def test_a_space_admin_adds_only_users_of_the_account(
    client: TestClient, admin: Person, space_admin: Person, space: str, status: int
) -> None:
    before = _state(client, admin)

    response = client.post(
        f"/api/spaces/{space}/users",
        json={"email": "ghost@example.com"},
        headers=space_admin.headers,
    )

    error = error_of(response, status)
    if space == "dev":
        assert "ghost@example.com" in error["message"]
    assert _state(client, admin) == before
