"""Rule 4 for custom roles: a holder of CREATE_ROLES creates and edits only roles within
their own permissions, so making a role is never a way to more power."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import Level, Permission
from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.factories import Person, new_custom_role, new_user

ROLES = "/api/settings/roles"
P = Permission


@pytest.fixture
def role_manager(runtime: Runtime, admin: Person) -> Person:
    """CREATE_ROLES and a few more, but not ADD_REMOVE_CLOUD_ACCOUNTS."""
    new_custom_role(
        runtime,
        admin.account_id,
        "Role Manager",
        Level.ACCOUNT,
        [P.CREATE_ROLES, P.ACCESS_ADMINISTRATION, P.VIEW_SPACE, P.LAUNCH_SANDBOXES],
    )
    new_custom_role(
        runtime, admin.account_id, "Cloud Ops", Level.ACCOUNT, [P.ADD_REMOVE_CLOUD_ACCOUNTS]
    )
    new_custom_role(runtime, admin.account_id, "Watchers", Level.SPACE, [P.VIEW_SPACE])
    return new_user(runtime, admin.account_id, "rm@example.com", custom_account_role="Role Manager")


CASES = [
    # create
    pytest.param(
        "POST",
        ROLES,
        {"name": "Cloud", "level": "account", "permissions": ["ADD_REMOVE_CLOUD_ACCOUNTS"]},
        403,
        id="create-with-a-permission-not-held",
    ),
    pytest.param(
        "POST",
        ROLES,
        {"name": "Copy", "level": "account", "template": "Cloud Ops"},
        403,
        id="create-from-a-stronger-template",
    ),
    pytest.param(
        "POST",
        ROLES,
        {"name": "Copy", "level": "account", "template": "Admin"},
        403,
        id="create-from-admin",
    ),
    pytest.param(
        "POST",
        ROLES,
        {"name": "Devs", "level": "space", "template": "Space Developer"},
        403,
        id="create-space-role-beyond-own",
    ),
    pytest.param(
        "POST",
        ROLES,
        {"name": "Makers", "level": "account", "permissions": ["CREATE_ROLES"]},
        201,
        id="create-with-held-permissions",
    ),
    pytest.param(
        "POST",
        ROLES,
        {"name": "Launch", "level": "space", "permissions": ["VIEW_SPACE", "LAUNCH_SANDBOXES"]},
        201,
        id="create-space-role-within-own",
    ),
    # edit
    pytest.param(
        "PUT",
        f"{ROLES}/Role Manager",
        {"permissions": ["CREATE_ROLES", "ADD_REMOVE_CLOUD_ACCOUNTS"]},
        403,
        id="widen-own-role",
    ),
    pytest.param(
        "PUT",
        f"{ROLES}/Cloud Ops",
        {"permissions": ["ADD_REMOVE_CLOUD_ACCOUNTS", "CREATE_ROLES"]},
        403,
        id="edit-keeping-a-permission-not-held",
    ),
    pytest.param(
        "PUT",
        f"{ROLES}/Watchers",
        {"permissions": ["VIEW_SPACE", "LAUNCH_SANDBOXES"]},
        200,
        id="edit-within-held-permissions",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), CASES)
def test_a_role_manager_makes_only_roles_within_their_own_permissions(
    client: TestClient,
    admin: Person,
    role_manager: Person,
    method: str,
    path: str,
    body: dict[str, Any],
    status: int,
) -> None:
    roles_before = client.get(ROLES, headers=admin.headers).json()

    response = client.request(method, path, json=body, headers=role_manager.headers)

    if status == 403:
        error = error_of(response, 403, "Forbidden")
        assert "permission" in error["message"]
        assert client.get(ROLES, headers=admin.headers).json() == roles_before
        assert audit_events(client, admin, actor=role_manager.email) == []
        return
    assert response.status_code == status, response.text
    [event] = audit_events(client, admin, actor=role_manager.email)
    assert event["action"] == ("role.create" if method == "POST" else "role.update")
