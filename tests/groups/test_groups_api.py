"""Groups through the API: a member holds the union of their own grants and their
groups' (custom roles included), explain names the group, and deleting a space or a
role keeps the groups consistent."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.factories import Person, new_space, new_user

GROUPS = "/api/groups"


def check(
    client: TestClient, asker: Person, email: str, permission: str, space: str | None = None
) -> bool:
    body: dict[str, Any] = {"email": email, "permission": permission}
    if space:
        body["space_name"] = space
    response = client.post("/api/authz/check", json=body, headers=asker.headers)
    assert response.status_code == 200, response.text
    allowed: bool = response.json()["allowed"]
    return allowed


def test_members_hold_the_groups_roles(client: TestClient, runtime: Runtime, admin: Person) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    new_space(runtime, admin.account_id, "dev")
    new_space(runtime, admin.account_id, "ops")
    assert not check(client, admin, bob.email, "PUBLISH_BLUEPRINTS", "dev")

    created = client.post(
        GROUPS,
        json={
            "name": "Platform",
            "description": "The platform team",
            "idp_identifier": "okta-platform",
            "users": [bob.email],
            "space_roles": [
                {"space_name": "dev", "space_role": "Publisher"},
                {"space_name": "ops", "space_role": "Space Developer"},
            ],
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "name": "Platform",
        "description": "The platform team",
        "idp_identifier": "okta-platform",
        "account_role": None,
        "space_roles": [
            {"space_name": "dev", "space_role": "Publisher"},
            {"space_name": "ops", "space_role": "Space Developer"},
        ],
        "users": [bob.email],
        "created_at": created.json()["created_at"],
    }
    assert check(client, admin, bob.email, "PUBLISH_BLUEPRINTS", "dev")
    assert check(client, admin, bob.email, "MANAGE_PRODUCTION_ENVIRONMENTS", "ops")
    assert not check(client, admin, bob.email, "MANAGE_SPACE_USERS", "ops")
    spaces = client.get("/api/spaces", headers=bob.headers).json()
    assert sorted(space["name"] for space in spaces) == ["dev", "ops"]

    explained = client.post(
        "/api/authz/explain",
        json={"email": bob.email, "permission": "PUBLISH_BLUEPRINTS", "space_name": "dev"},
        headers=admin.headers,
    ).json()
    assert explained["allowed"] is True
    assert "group Platform" in explained["reason"]
    assert explained["chain"] == [
        {
            "scope": "space",
            "role": "Publisher",
            "permission": "PUBLISH_BLUEPRINTS",
            "space_name": "dev",
            "via": None,
            "group": "Platform",
        }
    ]
    me = client.get("/api/me", headers=bob.headers).json()
    assert me["groups"] == [
        {
            "name": "Platform",
            "account_role": None,
            "space_roles": [
                {"space_name": "dev", "space_role": "Publisher"},
                {"space_name": "ops", "space_role": "Space Developer"},
            ],
        }
    ]

    # Taking bob out takes the roles away at the next request.
    removed = client.delete(f"{GROUPS}/Platform/users/{bob.email}", headers=admin.headers)
    assert removed.status_code == 204, removed.text
    assert not check(client, admin, bob.email, "PUBLISH_BLUEPRINTS", "dev")
    assert client.get("/api/spaces", headers=bob.headers).json() == []
    actions = [event["action"] for event in audit_events(client, admin)]
    assert actions[:2] == ["group.member_remove", "group.create"]


def test_an_account_role_through_a_group_applies_everywhere(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    carol = new_user(runtime, admin.account_id, "carol@example.com")
    new_space(runtime, admin.account_id, "dev")
    response = client.post(
        GROUPS, json={"name": "Admins", "account_role": "Admin"}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    added = client.put(f"{GROUPS}/Admins/users/{carol.email}", headers=admin.headers)
    assert added.status_code == 200, added.text
    assert added.json()["users"] == [carol.email]
    again = client.put(f"{GROUPS}/Admins/users/{carol.email}", headers=admin.headers)
    assert again.status_code == 200 and again.json()["users"] == [carol.email]
    assert check(client, admin, carol.email, "CREATE_SPACES")
    assert check(client, admin, carol.email, "MANAGE_SPACE_USERS", "dev")
    explained = client.post(
        "/api/authz/explain",
        json={"email": carol.email, "permission": "LAUNCH_SANDBOXES", "space_name": "dev"},
        headers=admin.headers,
    ).json()
    assert explained["chain"] == [
        {
            "scope": "account",
            "role": "Admin",
            "permission": "LAUNCH_SANDBOXES",
            "space_name": None,
            "via": None,
            "group": "Admins",
        }
    ]


def test_reading_updating_and_deleting(client: TestClient, runtime: Runtime, admin: Person) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    new_space(runtime, admin.account_id, "dev")
    client.post(GROUPS, json={"name": "Team", "users": [bob.email]}, headers=admin.headers)
    updated = client.put(
        f"{GROUPS}/team",
        json={
            "name": "Dev Team",
            "account_role": "User Manager",
            "space_roles": [{"space_name": "dev", "space_role": "Space Admin"}],
        },
        headers=admin.headers,
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["name"], body["account_role"], body["users"]) == (
        "Dev Team",
        "User Manager",
        [bob.email],
    )
    assert check(client, admin, bob.email, "MANAGE_ACCOUNT_USERS")
    listed = client.get(GROUPS, headers=admin.headers)
    assert [group["name"] for group in listed.json()] == ["Dev Team"]
    assert client.get(f"{GROUPS}/Dev%20Team", headers=admin.headers).json() == body
    error_of(client.get(f"{GROUPS}/Team", headers=admin.headers), 404, "NotFound")

    deleted = client.delete(f"{GROUPS}/dev team", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text
    assert not check(client, admin, bob.email, "MANAGE_ACCOUNT_USERS")
    assert client.get(GROUPS, headers=admin.headers).json() == []


def test_bad_input_is_refused_with_a_sentence(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_space(runtime, admin.account_id, "dev")
    client.post(GROUPS, json={"name": "Team", "idp_identifier": "team-id"}, headers=admin.headers)
    cases = [
        ({"name": "Team"}, 409),
        ({"name": "Other", "idp_identifier": "team-id"}, 409),
        ({"name": " "}, 422),
        ({"name": "a/b"}, 422),
        ({"name": "X", "account_role": "Space Admin"}, 422),
        ({"name": "X", "account_role": "Nobody"}, 422),
        (
            {"name": "X", "space_roles": [{"space_name": "nowhere", "space_role": "Space Admin"}]},
            422,
        ),
        ({"name": "X", "space_roles": [{"space_name": "dev", "space_role": "Admin"}]}, 422),
        (
            {
                "name": "X",
                "space_roles": [
                    {"space_name": "dev", "space_role": "Space Admin"},
                    {"space_name": "DEV", "space_role": "Space Member"},
                ],
            },
            422,
        ),
        ({"name": "X", "users": ["ghost@example.com"]}, 422),
        ({"name": "X", "description": "x" * 501}, 422),
    ]
    for body, status in cases:
        error_of(client.post(GROUPS, json=body, headers=admin.headers), status)
    assert [group["name"] for group in client.get(GROUPS, headers=admin.headers).json()] == ["Team"]
    error_of(client.put(f"{GROUPS}/Team/users/ghost@example.com", headers=admin.headers), 404)
    error_of(client.delete(f"{GROUPS}/Team/users/{admin.email}", headers=admin.headers), 404)


def test_a_space_or_role_that_goes_away(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    new_space(runtime, admin.account_id, "dev")
    client.post(
        GROUPS,
        json={
            "name": "Team",
            "users": [bob.email],
            "space_roles": [{"space_name": "dev", "space_role": "Publisher"}],
        },
        headers=admin.headers,
    )
    in_use = error_of(client.delete("/api/settings/roles/Publisher", headers=admin.headers), 409)
    assert "group 'Team' in space 'dev'" in in_use["message"]
    assert client.delete("/api/spaces/dev", headers=admin.headers).status_code == 204
    assert client.get(f"{GROUPS}/Team", headers=admin.headers).json()["space_roles"] == []
    assert client.delete("/api/settings/roles/Publisher", headers=admin.headers).status_code == 204
