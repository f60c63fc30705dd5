"""Rules 4 and 5 hold through groups: granting a role through a group needs what
granting it directly needs, in each scope; taking a group's roles away needs
permissions covering them; and no group change may take the last active Account Admin,
as no user change may (a refused request changes nothing)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.factories import Person, add_member, new_space, new_user

GROUPS = "/api/groups"


@pytest.fixture
def manager(runtime: Runtime, admin: Person) -> Person:
    """Manages account users (MANAGE_ACCOUNT_USERS) and is Space Admin of `dev` only."""
    person = new_user(
        runtime, admin.account_id, "manager@example.com", custom_account_role="User Manager"
    )
    add_member(runtime, new_space(runtime, admin.account_id, "dev"), person.user_id, "Space Admin")
    new_space(runtime, admin.account_id, "ops")
    return person


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"account_role": "Admin"}, id="admin-role"),
        pytest.param(
            {"space_roles": [{"space_name": "ops", "space_role": "Space Member"}]},
            id="a-space-they-do-not-manage",
        ),
    ],
)
def test_a_group_cannot_grant_what_its_maker_could_not(
    client: TestClient, manager: Person, body: dict[str, object]
) -> None:
    error_of(client.post(GROUPS, json={"name": "G", **body}, headers=manager.headers), 403)


def test_a_manager_works_within_their_own_permissions(
    client: TestClient, runtime: Runtime, admin: Person, manager: Person
) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    ok = client.post(
        GROUPS,
        json={
            "name": "Dev admins",
            "space_roles": [{"space_name": "dev", "space_role": "Space Admin"}],
            "users": [bob.email],
        },
        headers=manager.headers,
    )
    assert ok.status_code == 201, ok.text

    # A group an Account Admin made Admin: the manager can neither add to it nor take
    # anyone out of it, edit it or delete it.
    client.post(
        GROUPS,
        json={"name": "Admins", "account_role": "Admin", "users": [admin.email]},
        headers=admin.headers,
    )
    log_before = audit_events(client, admin)
    refused = [
        client.put(f"{GROUPS}/Admins/users/{bob.email}", headers=manager.headers),
        client.delete(f"{GROUPS}/Admins/users/{admin.email}", headers=manager.headers),
        client.put(f"{GROUPS}/Admins", json={"description": "x"}, headers=manager.headers),
        client.delete(f"{GROUPS}/Admins", headers=manager.headers),
    ]
    for response in refused:
        error_of(response, 403, "Forbidden")
    assert audit_events(client, admin) == log_before
    assert client.get(f"{GROUPS}/Admins", headers=admin.headers).json()["users"] == [admin.email]


@pytest.fixture
def only_admin_through_a_group(client: TestClient, runtime: Runtime, admin: Person) -> Person:
    """carol is the account's one active Admin, through the group "Admins"."""
    carol = new_user(runtime, admin.account_id, "carol@example.com")
    created = client.post(
        GROUPS,
        json={"name": "Admins", "account_role": "Admin", "users": [carol.email]},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    demoted = client.put(
        f"/api/accounts/users/{admin.email}/account_role?value=Member", headers=carol.headers
    )
    assert demoted.status_code == 200, demoted.text
    return carol


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("DELETE", GROUPS + "/Admins/users/{email}", None, id="leave-the-group"),
        pytest.param("DELETE", GROUPS + "/Admins", None, id="delete-the-group"),
        pytest.param("PUT", GROUPS + "/Admins", {"account_role": "Member"}, id="demote-the-group"),
        pytest.param("PUT", GROUPS + "/Admins", {"users": []}, id="empty-the-group"),
        pytest.param(
            "PUT", "/api/accounts/users/{email}/status?value=inactive", None, id="deactivate"
        ),
        pytest.param("DELETE", "/api/accounts/users/{email}", None, id="remove"),
    ],
)
def test_the_last_admin_through_a_group_is_kept(
    client: TestClient,
    admin: Person,
    only_admin_through_a_group: Person,
    method: str,
    path: str,
    body: dict[str, object] | None,
) -> None:
    carol = only_admin_through_a_group
    log_before = audit_events(client, carol)
    response = client.request(
        method, path.format(email=carol.email), json=body, headers=carol.headers
    )
    error_of(response, 409, "LastAccountAdmin")
    assert audit_events(client, carol) == log_before
    group = client.get(f"{GROUPS}/Admins", headers=carol.headers).json()
    assert (group["account_role"], group["users"]) == ("Admin", [carol.email])


def test_a_direct_demotion_keeps_an_admin_through_a_group(
    client: TestClient, admin: Person, only_admin_through_a_group: Person
) -> None:
    """carol's own role is Member already; setting it again is no demotion, and the
    account's previous Admin may be made Admin and demoted again."""
    carol = only_admin_through_a_group
    same = client.put(
        f"/api/accounts/users/{carol.email}/account_role?value=Member", headers=carol.headers
    )
    assert same.status_code == 200, same.text
    promoted = client.put(
        f"/api/accounts/users/{admin.email}/account_role?value=Admin", headers=carol.headers
    )
    assert promoted.status_code == 200, promoted.text
    left = client.delete(f"{GROUPS}/Admins/users/{carol.email}", headers=carol.headers)
    assert left.status_code == 204, left.text
