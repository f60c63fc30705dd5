"""Rule 4 at account level: account roles are granted with MANAGE_ACCOUNT_USERS (adding a
user with INVITE_USERS), only roles within the granter's own permissions, and the Admin
role only by holders of INVITE_ACCOUNT_ADMINS. A Space Admin reaches no account route.
Every refusal leaves the user unchanged and the audit log as it was."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import Level, Permission
from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.factories import Person, add_member, new_custom_role, new_space, new_user

USERS = "/api/accounts/users"
BOB = "bob@example.com"
P = Permission

ROLES: dict[str, list[Permission]] = {
    "Auditor": [P.ACCESS_ADMINISTRATION],
    "Space Creator": [P.CREATE_SPACES],
    "User Manager": [P.ACCESS_ADMINISTRATION, P.INVITE_USERS, P.MANAGE_ACCOUNT_USERS],
    # Holds INVITE_ACCOUNT_ADMINS but not everything the Admin role holds.
    "Admin Inviter": [
        P.ACCESS_ADMINISTRATION,
        P.INVITE_USERS,
        P.MANAGE_ACCOUNT_USERS,
        P.INVITE_ACCOUNT_ADMINS,
    ],
}


@pytest.fixture(autouse=True)
def _roles(runtime: Runtime, admin: Person) -> None:
    for name, permissions in ROLES.items():
        new_custom_role(runtime, admin.account_id, name, Level.ACCOUNT, permissions)


def _snapshot(client: TestClient, admin: Person) -> tuple[Any, Any]:
    users = client.get(USERS, headers=admin.headers)
    assert users.status_code == 200, users.text
    return users.json(), audit_events(client, admin)


SPACE_ADMIN_REFUSED = [
    pytest.param("GET", USERS, None, id="list-users"),
    pytest.param("POST", USERS, {"email": "new@example.com"}, id="add-user"),
    pytest.param(
        "POST", USERS, {"email": "new@example.com", "account_role": "Admin"}, id="add-admin"
    ),
    pytest.param(
        "POST", "/api/accounts/invitations", {"emails": ["new@example.com"]}, id="invite-user"
    ),
    pytest.param(
        "POST",
        "/api/accounts/invitations",
        {"emails": ["new@example.com"], "account_role": "Admin"},
        id="invite-admin",
    ),
    pytest.param("PUT", f"{USERS}/{BOB}/account_role?value=Admin", None, id="make-admin"),
    pytest.param("PUT", f"{USERS}/{BOB}/account_role?value=Member", None, id="set-role"),
    pytest.param("DELETE", f"{USERS}/{BOB}/account_role", None, id="unset-role"),
    pytest.param("PUT", f"{USERS}/{BOB}/status?value=inactive", None, id="deactivate"),
    pytest.param("DELETE", f"{USERS}/{BOB}", None, id="remove"),
    pytest.param("POST", "/api/spaces", {"name": "mine"}, id="create-space"),
    pytest.param(
        "POST", "/api/settings/roles", {"name": "Mine", "level": "space"}, id="create-role"
    ),
    pytest.param("GET", "/api/audit", None, id="audit-log"),
]


@pytest.mark.parametrize(("method", "path", "body"), SPACE_ADMIN_REFUSED)
def test_a_space_admin_reaches_no_account_route(
    client: TestClient,
    runtime: Runtime,
    admin: Person,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    space_admin = new_user(runtime, admin.account_id, "sa@example.com")
    dev = new_space(runtime, admin.account_id, "dev")
    add_member(runtime, dev, space_admin.user_id, "Space Admin")
    new_user(runtime, admin.account_id, BOB)
    before = _snapshot(client, admin)

    response = client.request(method, path, json=body, headers=space_admin.headers)

    error_of(response, 403, "Forbidden")
    assert _snapshot(client, admin) == before


# (granter's account role, method, path, body, status)
GRANTS = [
    # A user manager without INVITE_ACCOUNT_ADMINS: no Admin, nothing beyond their own.
    ("User Manager", "PUT", f"{USERS}/{BOB}/account_role?value=Admin", None, 403),
    ("User Manager", "POST", USERS, {"email": "new@example.com", "account_role": "Admin"}, 403),
    ("User Manager", "PUT", f"{USERS}/{BOB}/account_role?value=Admin Inviter", None, 403),
    ("User Manager", "PUT", f"{USERS}/{BOB}/account_role?value=Space Creator", None, 403),
    (
        "User Manager",
        "POST",
        USERS,
        {"email": "new@example.com", "account_role": "Space Creator"},
        403,
    ),
    ("User Manager", "PUT", f"{USERS}/{BOB}/account_role?value=Auditor", None, 200),
    ("User Manager", "PUT", f"{USERS}/{BOB}/account_role?value=User Manager", None, 200),
    ("User Manager", "DELETE", f"{USERS}/{BOB}/account_role", None, 200),
    ("User Manager", "POST", USERS, {"email": "new@example.com"}, 201),
    ("User Manager", "POST", USERS, {"email": "new@example.com", "account_role": "Auditor"}, 201),
    # INVITE_ACCOUNT_ADMINS is needed for Admin, but not enough: the Admin role holds
    # permissions this granter lacks (the subset rule still applies).
    ("Admin Inviter", "PUT", f"{USERS}/{BOB}/account_role?value=Admin", None, 403),
    ("Admin Inviter", "PUT", f"{USERS}/{BOB}/account_role?value=Admin Inviter", None, 200),
    ("Admin", "PUT", f"{USERS}/{BOB}/account_role?value=Admin", None, 200),
    ("Admin", "POST", USERS, {"email": "new@example.com", "account_role": "Admin"}, 201),
    # Without MANAGE_ACCOUNT_USERS (or INVITE_USERS), no grant at all.
    ("Auditor", "PUT", f"{USERS}/{BOB}/account_role?value=Member", None, 403),
    ("Auditor", "POST", USERS, {"email": "new@example.com"}, 403),
    ("Space Creator", "PUT", f"{USERS}/{BOB}/account_role?value=Space Creator", None, 403),
]


@pytest.mark.parametrize(("granter_role", "method", "path", "body", "status"), GRANTS)
def test_granting_account_roles(
    client: TestClient,
    runtime: Runtime,
    admin: Person,
    granter_role: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
) -> None:
    granter = new_user(
        runtime,
        admin.account_id,
        "granter@example.com",
        account_role="Admin" if granter_role == "Admin" else None,
        custom_account_role=None if granter_role == "Admin" else granter_role,
    )
    new_user(runtime, admin.account_id, BOB)
    before = _snapshot(client, admin)

    response = client.request(method, path, json=body, headers=granter.headers)

    if status == 403:
        error_of(response, 403, "Forbidden")
        assert _snapshot(client, admin) == before
        return
    assert response.status_code == status, response.text
    [event] = audit_events(client, admin, actor=granter.email)
    assert event["action"] == ("user.add" if method == "POST" else "user.account_role")
