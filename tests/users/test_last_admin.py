"""Rule 5: an account always keeps at least one active Account Admin. Removing,
demoting (to Member, by unsetting, or to a custom account role) and deactivating the
last one are refused with 409, and a refused request changes nothing, not even the
audit log."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import Level, Permission
from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.factories import Person, new_custom_role, new_user

USERS = "/api/accounts/users"

# (method, path) of every way to take the Admin role away from `{email}`.
TAKE_ADMIN_AWAY = [
    pytest.param("DELETE", USERS + "/{email}", id="remove"),
    pytest.param("PUT", USERS + "/{email}/account_role?value=Member", id="demote-to-member"),
    pytest.param("DELETE", USERS + "/{email}/account_role", id="unset-account-role"),
    pytest.param("PUT", USERS + "/{email}/account_role?value=Auditor", id="demote-to-custom"),
    pytest.param("PUT", USERS + "/{email}/status?value=inactive", id="deactivate"),
]


@pytest.fixture(autouse=True)
def _roles(runtime: Runtime, admin: Person) -> None:
    new_custom_role(
        runtime, admin.account_id, "Auditor", Level.ACCOUNT, [Permission.ACCESS_ADMINISTRATION]
    )
    new_custom_role(
        runtime,
        admin.account_id,
        "User Manager",
        Level.ACCOUNT,
        [Permission.ACCESS_ADMINISTRATION, Permission.MANAGE_ACCOUNT_USERS],
    )


def _admin_state(client: TestClient, reader: Person, email: str) -> tuple[str, str]:
    user = client.get(f"{USERS}/{email}", headers=reader.headers)
    assert user.status_code == 200, user.text
    return user.json()["account_role"], user.json()["status"]


@pytest.mark.parametrize(("method", "path"), TAKE_ADMIN_AWAY)
def test_the_last_active_admin_cannot_be_taken_away(
    client: TestClient, runtime: Runtime, admin: Person, method: str, path: str
) -> None:
    manager = new_user(
        runtime, admin.account_id, "manager@example.com", custom_account_role="User Manager"
    )
    log_before = audit_events(client, admin)

    # The admin themself meets the last-admin rule; a user manager without
    # INVITE_ACCOUNT_ADMINS may not touch an Admin at all.
    for caller, status, name in ((admin, 409, "LastAccountAdmin"), (manager, 403, "Forbidden")):
        response = client.request(method, path.format(email=admin.email), headers=caller.headers)

        error = error_of(response, status, name)
        assert admin.email in error["message"]
        assert _admin_state(client, admin, admin.email) == ("Admin", "active")
        assert audit_events(client, admin) == log_before


def test_making_the_last_admin_admin_again_is_no_demotion(
    client: TestClient, admin: Person
) -> None:
    response = client.put(
        f"{USERS}/{admin.email}/account_role", params={"value": "Admin"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["account_role"] == "Admin"


@pytest.mark.parametrize(("method", "path"), TAKE_ADMIN_AWAY)
def test_with_two_admins_one_may_go_and_then_the_other_is_the_last(
    client: TestClient, runtime: Runtime, admin: Person, method: str, path: str
) -> None:
    second = new_user(runtime, admin.account_id, "second@example.com", account_role="Admin")

    allowed = client.request(method, path.format(email=second.email), headers=admin.headers)

    assert allowed.status_code in (200, 204), allowed.text
    log_before = audit_events(client, admin)
    refused = client.request(method, path.format(email=admin.email), headers=admin.headers)
    error_of(refused, 409, "LastAccountAdmin")
    assert _admin_state(client, admin, admin.email) == ("Admin", "active")
    assert audit_events(client, admin) == log_before


@pytest.mark.parametrize(("method", "path"), TAKE_ADMIN_AWAY)
def test_an_inactive_admin_is_not_the_other_admin(
    client: TestClient, runtime: Runtime, admin: Person, method: str, path: str
) -> None:
    dormant = new_user(
        runtime, admin.account_id, "dormant@example.com", account_role="Admin", status="inactive"
    )
    target = path.format(email=admin.email)

    error_of(client.request(method, target, headers=admin.headers), 409, "LastAccountAdmin")

    # Once the other admin is active again, the same request is allowed.
    reactivated = client.put(
        f"{USERS}/{dormant.email}/status", params={"value": "active"}, headers=admin.headers
    )
    assert reactivated.status_code == 200, reactivated.text
    allowed = client.request(method, target, headers=admin.headers)
    assert allowed.status_code in (200, 204), allowed.text
    # The first admin may be gone; the factory's token of the other one reads.
    assert _admin_state(client, dormant, dormant.email) == ("Admin", "active")
