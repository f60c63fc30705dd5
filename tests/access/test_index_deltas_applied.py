"""A grant change through the API is applied to the loaded index as a delta: the next
decision sees it, and the account's index is not loaded again."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.factories import Person, add_member, new_account, new_space, new_user

CHECK = "/api/authz/check"


@pytest.fixture
def team(runtime: Runtime) -> tuple[Person, Person]:
    admin = new_account(runtime)
    dev = new_space(runtime, admin.account_id, "dev")
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    add_member(runtime, dev, bob.user_id, "Space Member")
    return admin, bob


def _may(client: TestClient, admin: Person, permission: str, space: str = "dev") -> Any:
    response = client.post(
        CHECK,
        json={"email": "bob@example.com", "permission": permission, "space_name": space},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["allowed"]


def _steps(admin: Person) -> list[tuple[str, str, dict[str, Any], str, str, bool]]:
    """(method, path, json, permission, space, allowed afterwards) in order."""
    return [
        (
            "PUT",
            "/api/spaces/dev/users/bob@example.com/space_role?value=Space%20Admin",
            {},
            "PUBLISH_BLUEPRINTS",
            "dev",
            True,
        ),
        ("POST", "/api/spaces", {"name": "ops"}, "VIEW_SPACE", "ops", False),
        ("POST", "/api/spaces/ops/users", {"email": "bob@example.com"}, "VIEW_SPACE", "ops", True),
        ("PUT", "/api/spaces/ops", {"name": "platform"}, "VIEW_SPACE", "platform", True),
        (
            "POST",
            "/api/settings/roles",
            {"name": "Costs", "level": "space", "permissions": ["VIEW_COST_DATA"]},
            "VIEW_COST_DATA",
            "platform",
            True,
        ),
        (
            "PUT",
            "/api/spaces/platform/users/bob@example.com/space_role?value=Costs",
            {},
            "LAUNCH_SANDBOXES",
            "platform",
            False,
        ),
        (
            "PUT",
            "/api/settings/roles/Costs",
            {"permissions": ["VIEW_COST_DATA", "LAUNCH_SANDBOXES"]},
            "LAUNCH_SANDBOXES",
            "platform",
            True,
        ),
        ("DELETE", "/api/spaces/dev/users/bob@example.com", {}, "LAUNCH_SANDBOXES", "dev", False),
        (
            "PUT",
            "/api/accounts/users/bob@example.com/account_role?value=Admin",
            {},
            "CREATE_SPACES",
            "",
            True,
        ),
    ]


def test_changes_are_applied_as_deltas(
    client: TestClient, runtime: Runtime, team: tuple[Person, Person]
) -> None:
    admin, _ = team
    assert _may(client, admin, "LAUNCH_SANDBOXES")  # the index is loaded now
    loads = runtime.authz.loads
    for method, path, body, permission, space, allowed in _steps(admin):
        response = client.request(method, path, json=body or None, headers=admin.headers)
        assert response.status_code < 300, (path, response.text)
        if space:
            assert _may(client, admin, permission, space) is allowed, path
        else:
            answer = client.post(
                CHECK,
                json={"email": "bob@example.com", "permission": permission},
                headers=admin.headers,
            )
            assert answer.json()["allowed"] is allowed, path
    assert runtime.authz.loads == loads, "every change was applied without a full load"
    assert runtime.authz.deltas >= len(_steps(admin))
    # The bob of the index is the bob of a fresh load.
    index = runtime.authz.peek(admin.account_id)
    assert index is not None
    runtime.authz.invalidate()
    with runtime.sessions() as session:
        fresh = runtime.authz.get(session, admin.account_id)
    assert index.snapshot() == fresh.snapshot()
