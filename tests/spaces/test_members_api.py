"""Space membership over the API: add an existing account user, change the role, remove,
the candidates picker, the caller's permissions in a space, and `/api/me`."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import BuiltinRole, Level, Permission
from spacegate.runtime import Runtime
from tests.api_helpers import (
    at_once,
    audit_events,
    builtin_permissions,
    error_of,
    level_permissions,
)
from tests.factories import Person, add_member, new_custom_role, new_space, new_user

BOB = "bob@example.com"
MEMBERS = "/api/spaces/dev/users"
SPACE_ROLES = [BuiltinRole.SPACE_ADMIN, BuiltinRole.SPACE_DEVELOPER, BuiltinRole.SPACE_MEMBER]


@pytest.fixture
def dev(runtime: Runtime, admin: Person) -> int:
    return new_space(runtime, admin.account_id, "dev")


@pytest.fixture
def bob(runtime: Runtime, admin: Person) -> Person:
    return new_user(runtime, admin.account_id, BOB)


def _members(client: TestClient, caller: Person) -> dict[str, str]:
    response = client.get(MEMBERS, headers=caller.headers)
    assert response.status_code == 200, response.text
    return {member["email"]: member["space_role"] for member in response.json()}


def test_add_a_member_defaults_to_space_member(
    client: TestClient, admin: Person, dev: int, bob: Person
) -> None:
    response = client.post(MEMBERS, json={"email": "Bob@Example.com"}, headers=admin.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"email", "first_name", "last_name", "space_role", "status", "added_at"}
    assert {k: v for k, v in body.items() if k != "added_at"} == {
        "email": BOB,
        "first_name": "Bob",
        "last_name": "Tester",
        "space_role": "Space Member",
        "status": "active",
    }
    assert datetime.fromisoformat(body["added_at"]).tzinfo is not None
    assert _members(client, admin) == {BOB: "Space Member"}
    [event] = audit_events(client, admin, action="space.member_add", target=BOB)
    assert event["actor"] == admin.email
    assert event["after"] == {"space": "dev", "space_role": "Space Member"}
    user = client.get(f"/api/accounts/users/{BOB}", headers=admin.headers).json()
    assert user["member_in_spaces"] == [{"space_name": "dev", "space_role": "Space Member"}]


@pytest.mark.parametrize("role", [*[r.value for r in SPACE_ROLES], "Launcher", "launcher"])
def test_add_a_member_with_a_space_role(
    client: TestClient, runtime: Runtime, admin: Person, dev: int, bob: Person, role: str
) -> None:
    new_custom_role(
        runtime,
        admin.account_id,
        "Launcher",
        Level.SPACE,
        [Permission.VIEW_SPACE, Permission.LAUNCH_SANDBOXES],
    )

    response = client.post(MEMBERS, json={"email": BOB, "space_role": role}, headers=admin.headers)

    assert response.status_code == 201, response.text
    shown = "Launcher" if role.lower() == "launcher" else role
    assert response.json()["space_role"] == shown
    assert _members(client, admin) == {BOB: shown}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"email": BOB, "space_role": "Admin"}, 422, id="account-role"),
        pytest.param({"email": BOB, "space_role": "Ghost"}, 422, id="unknown-role"),
        pytest.param({"email": "ghost@example.com"}, 404, id="not-in-account"),
        pytest.param({"space_role": "Space Member"}, 422, id="no-email"),
    ],
)
def test_add_a_member_with_bad_input(
    client: TestClient, admin: Person, dev: int, bob: Person, body: dict[str, str], status: int
) -> None:
    error_of(client.post(MEMBERS, json=body, headers=admin.headers), status)
    assert _members(client, admin) == {}
    assert audit_events(client, admin, action="space.member_add") == []


def test_add_a_member_twice_answers_409(
    client: TestClient, runtime: Runtime, admin: Person, dev: int, bob: Person
) -> None:
    add_member(runtime, dev, bob.user_id, "Space Developer")

    response = client.post(MEMBERS, json={"email": BOB}, headers=admin.headers)

    error_of(response, 409, "Conflict")
    assert _members(client, admin) == {BOB: "Space Developer"}


@pytest.mark.parametrize("role", [r.value for r in SPACE_ROLES])
def test_change_a_members_role(
    client: TestClient, runtime: Runtime, admin: Person, dev: int, bob: Person, role: str
) -> None:
    add_member(runtime, dev, bob.user_id, "Space Member")

    response = client.put(
        f"{MEMBERS}/{BOB}/space_role", params={"value": role}, headers=admin.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["space_role"] == role
    assert _members(client, admin) == {BOB: role}
    [event] = audit_events(client, admin, action="space.member_role", target=BOB)
    assert event["before"] == {"space": "dev", "space_role": "Space Member"}
    assert event["after"] == {"space": "dev", "space_role": role}


@pytest.mark.parametrize(
    ("email", "value", "status"),
    [
        ("carl@example.com", "Space Admin", 404),  # in the account, not in the space
        ("ghost@example.com", "Space Admin", 404),
        (BOB, "Member", 422),
        (BOB, "Ghost", 422),
    ],
)
def test_change_role_refusals(
    client: TestClient,
    runtime: Runtime,
    admin: Person,
    dev: int,
    bob: Person,
    email: str,
    value: str,
    status: int,
) -> None:
    add_member(runtime, dev, bob.user_id, "Space Member")
    new_user(runtime, admin.account_id, "carl@example.com")

    response = client.put(
        f"{MEMBERS}/{email}/space_role", params={"value": value}, headers=admin.headers
    )

    error_of(response, status)
    assert _members(client, admin) == {BOB: "Space Member"}
    assert audit_events(client, admin, action="space.member_role") == []


def test_remove_a_member(
    client: TestClient, runtime: Runtime, admin: Person, dev: int, bob: Person
) -> None:
    add_member(runtime, dev, bob.user_id, "Space Developer")
    assert client.get("/api/spaces/dev", headers=bob.headers).status_code == 200

    response = client.delete(f"{MEMBERS}/{BOB}", headers=admin.headers)

    assert response.status_code == 204, response.text
    assert _members(client, admin) == {}
    [event] = audit_events(client, admin, action="space.member_remove", target=BOB)
    assert event["before"] == {"space": "dev", "space_role": "Space Developer"}
    # Bob no longer sees the space, at his very next request.
    error_of(client.get("/api/spaces/dev", headers=bob.headers), 404)
    # Removing again: he is not a member any more.
    error_of(client.delete(f"{MEMBERS}/{BOB}", headers=admin.headers), 404)
    assert len(audit_events(client, admin, action="space.member_remove")) == 1


def test_candidates_are_active_account_users_not_yet_in_the_space(
    client: TestClient, runtime: Runtime, admin: Person, dev: int, bob: Person
) -> None:
    add_member(runtime, dev, bob.user_id, "Space Member")
    new_user(runtime, admin.account_id, "carl@example.com")
    new_user(runtime, admin.account_id, "dora@example.com", status="inactive")
    new_user(runtime, admin.account_id, "carla@example.com")

    def candidates(**params: str) -> list[str]:
        response = client.get(f"{MEMBERS}/candidates", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        assert all(set(c) == {"email", "first_name", "last_name"} for c in response.json())
        return [candidate["email"] for candidate in response.json()]

    assert candidates() == [admin.email, "carl@example.com", "carla@example.com"]
    assert candidates(q="CARL") == ["carl@example.com", "carla@example.com"]
    assert candidates(q="carla tester") == ["carla@example.com"]
    assert candidates(q="bob") == []


@pytest.mark.parametrize(("role", "status"), [("Space Admin", 200), ("Space Developer", 403)])
def test_candidates_need_manage_space_users(
    client: TestClient, runtime: Runtime, admin: Person, dev: int, role: str, status: int
) -> None:
    caller = new_user(runtime, admin.account_id, "caller@example.com")
    add_member(runtime, dev, caller.user_id, role)

    response = client.get(f"{MEMBERS}/candidates", headers=caller.headers)

    assert response.status_code == status, response.text


@pytest.mark.parametrize("role", SPACE_ROLES)
def test_user_permissions_are_the_space_roles_for_a_member(
    client: TestClient, runtime: Runtime, admin: Person, dev: int, bob: Person, role: BuiltinRole
) -> None:
    add_member(runtime, dev, bob.user_id, role.value)

    response = client.get("/api/spaces/dev/user_permissions", headers=bob.headers)

    assert response.status_code == 200, response.text
    assert response.json() == builtin_permissions(role)


def test_user_permissions_of_an_admin_hold_every_space_permission(
    client: TestClient, admin: Person, dev: int
) -> None:
    response = client.get("/api/spaces/dev/user_permissions", headers=admin.headers)

    assert response.status_code == 200, response.text
    space_level = set(level_permissions(Level.SPACE))
    assert [p for p in response.json() if p in space_level] == level_permissions(Level.SPACE)


def test_me_describes_the_caller(
    client: TestClient, runtime: Runtime, admin: Person, dev: int, bob: Person
) -> None:
    new_space(runtime, admin.account_id, "prod")
    add_member(runtime, dev, bob.user_id, "Space Developer")

    mine = client.get("/api/me", headers=bob.headers)
    theirs = client.get("/api/me", headers=admin.headers)

    assert mine.status_code == 200, mine.text
    assert mine.json() == {
        "email": BOB,
        "first_name": "Bob",
        "last_name": "Tester",
        "account_name": "acme",
        "account_role": "Member",
        "account_permissions": [],
        "spaces": [
            {
                "space_name": "dev",
                "space_role": "Space Developer",
                "permissions": builtin_permissions(BuiltinRole.SPACE_DEVELOPER),
            }
        ],
        "groups": [],
    }
    assert theirs.status_code == 200, theirs.text
    me = theirs.json()
    assert me["account_role"] == "Admin"
    assert me["account_permissions"] == builtin_permissions(BuiltinRole.ADMIN, Level.ACCOUNT)
    assert [(s["space_name"], s["space_role"]) for s in me["spaces"]] == [
        ("dev", None),
        ("prod", None),
    ]


def test_me_needs_credentials(client: TestClient) -> None:
    error_of(client.get("/api/me"), 401, "Unauthorized")


def test_adding_the_same_member_at_once_answers_201_and_409(
    client: TestClient, runtime: Runtime, admin: Person, dev: int, bob: Person
) -> None:
    other = new_user(runtime, admin.account_id, "other@example.com", account_role="Admin")
    for round_ in range(5):
        email = new_user(runtime, admin.account_id, f"user{round_}@example.com").email
        answers = at_once(client, "POST", MEMBERS, [admin, other], json={"email": email})

        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        error_of(next(a for a in answers if a.status_code == 409), 409, "Conflict")
    assert len(_members(client, admin)) == 5
