"""Editing a custom role's permissions changes every holder's decisions at their next
request (rule 8: never a snapshot), whether the role is held as an account role or as
a space role, and through an API token as well."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import Level, Permission
from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, bearer, error_of, login
from tests.factories import Person, add_member, new_custom_role, new_space, new_user

ROLES = "/api/settings/roles"


def _set_permissions(client: TestClient, admin: Person, role: str, permissions: list[str]) -> None:
    response = client.put(
        f"{ROLES}/{role}", json={"permissions": permissions}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["permissions"] == permissions


@pytest.mark.parametrize("token", ["api", "login"])
def test_editing_a_space_role_changes_its_holders_next_decision(
    client: TestClient, runtime: Runtime, admin: Person, token: str
) -> None:
    new_custom_role(runtime, admin.account_id, "Watcher", Level.SPACE, [Permission.VIEW_SPACE])
    carol = new_user(runtime, admin.account_id, "carol@example.com")
    add_member(runtime, new_space(runtime, admin.account_id, "dev"), carol.user_id, "Watcher")
    headers = (
        carol.headers if token == "api" else bearer(login(client, carol.email)["access_token"])
    )

    def permissions() -> list[str]:
        response = client.get("/api/spaces/dev/user_permissions", headers=headers)
        assert response.status_code == 200, response.text
        return list(response.json())

    assert permissions() == ["VIEW_SPACE"]

    _set_permissions(client, admin, "Watcher", ["VIEW_COST_DATA", "VIEW_SPACE"])
    assert permissions() == ["VIEW_COST_DATA", "VIEW_SPACE"]

    _set_permissions(client, admin, "Watcher", ["MANAGE_SPACE_USERS", "VIEW_SPACE"])
    assert permissions() == ["MANAGE_SPACE_USERS", "VIEW_SPACE"]
    assert client.get("/api/spaces/dev/users/candidates", headers=headers).status_code == 200

    # Without any permission left, the space is no longer visible to her.
    _set_permissions(client, admin, "Watcher", [])
    error_of(client.get("/api/spaces/dev/user_permissions", headers=headers), 404)
    assert [space["name"] for space in client.get("/api/spaces", headers=headers).json()] == []

    updates = audit_events(client, admin, action="role.update", target="Watcher")
    assert [event["after"]["permissions"] for event in reversed(updates)] == [
        ["VIEW_COST_DATA", "VIEW_SPACE"],
        ["MANAGE_SPACE_USERS", "VIEW_SPACE"],
        [],
    ]
    assert updates[-1]["before"]["permissions"] == ["VIEW_SPACE"]


def test_editing_an_account_role_changes_its_holders_next_decision(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_custom_role(runtime, admin.account_id, "Auditor", Level.ACCOUNT, [])
    dave = new_user(runtime, admin.account_id, "dave@example.com", custom_account_role="Auditor")
    new_space(runtime, admin.account_id, "dev")

    error_of(client.get("/api/accounts/users", headers=dave.headers), 403)
    error_of(client.get("/api/spaces/dev", headers=dave.headers), 404)

    _set_permissions(client, admin, "Auditor", ["ACCESS_ADMINISTRATION", "VIEW_SPACE"])

    assert client.get("/api/accounts/users", headers=dave.headers).status_code == 200
    assert client.get("/api/spaces/dev", headers=dave.headers).status_code == 200

    _set_permissions(client, admin, "Auditor", ["VIEW_SPACE"])

    error_of(client.get("/api/accounts/users", headers=dave.headers), 403)
    assert client.get("/api/spaces/dev", headers=dave.headers).status_code == 200
